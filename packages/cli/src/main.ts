#!/usr/bin/env node
import { run } from './cli.js'

const code = await run(process.argv.slice(2), {
  env: process.env,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
})
// Exit now rather than when the event loop drains: a client still reconnecting to an unreachable
// Redis or Postgres must not keep a finished command alive (stdout and stderr are written
// synchronously to files and pipes, so nothing printed is lost).
process.exit(code)
