#!/usr/bin/env node
// Starts the whole stack on this machine against local Postgres and Redis: creates the database
// if it is missing, then runs ingest, one dispatcher and the echo sink of the example config,
// with their logs interleaved. Ctrl-C stops everything (SIGTERM: ingest and dispatcher drain), and
// so does any part that stops on its own.
//
// Environment (each optional):
//   ECHO_SINK      host:port of the echo sink (default 127.0.0.1:8099). The example config's
//                  webhook URL, POSTEE_EXAMPLE_WEBHOOK_URL, is derived from it
//                  (http://<ECHO_SINK>/postee), so change this one variable to move the sink.
//   DATABASE_URL   default postgres://postgres@127.0.0.1:5432/postee (created when missing)
//   REDIS_URL      default redis://127.0.0.1:6379
//   AQUAALERT_CFG  default config/cfg.example.yaml
// and every other variable the services read (AQUAALERT_URL for ingest's port, ...).
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { DEFAULT_ECHO_SINK, exampleWebhookUrl } from './local-ports.mjs'

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  // The help is this file's header comment.
  const lines = readFileSync(fileURLToPath(import.meta.url), 'utf8')
    .split('\n')
    .slice(1)
  console.log(
    lines
      .slice(
        0,
        lines.findIndex((line) => !line.startsWith('//')),
      )
      .map((line) => line.slice(3))
      .join('\n'),
  )
  process.exit(0)
}

const root = fileURLToPath(new URL('..', import.meta.url))
const echoSink = process.env.ECHO_SINK || DEFAULT_ECHO_SINK
if (process.env.POSTEE_EXAMPLE_WEBHOOK_URL) {
  console.log('start-local: POSTEE_EXAMPLE_WEBHOOK_URL is derived from ECHO_SINK; the value set is ignored, set ECHO_SINK instead')
}
const env = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postee',
  REDIS_URL: 'redis://127.0.0.1:6379',
  AQUAALERT_CFG: `${root}config/cfg.example.yaml`,
  // The operators' token for /api/* and reload on this local stack (the API is closed without one).
  POSTEE_ADMIN_TOKEN: 'local-admin-token',
  ...process.env,
  ECHO_SINK: echoSink,
  POSTEE_EXAMPLE_WEBHOOK_URL: exampleWebhookUrl(echoSink),
}

async function ensureDatabase(url) {
  const target = new URL(url)
  const name = decodeURIComponent(target.pathname.slice(1))
  const admin = new URL(url)
  admin.pathname = '/postgres'
  const client = new pg.Client({ connectionString: admin.toString() })
  await client.connect()
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name])
    if (rowCount === 0) {
      await client.query(`create database "${name.replaceAll('"', '""')}"`)
      console.log(`start-local: created database ${name}`)
    }
  } finally {
    await client.end()
  }
}

// When one part dies on its own, the others are stopped too and start-local exits 1: a half-running
// stack (ingest accepting scans nobody delivers) is worse than none.
let stopping = false
let exitCode = 0
const children = []
let dispatcherTimer

function run(name, args) {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] })
  children.push(child)
  child.on('exit', (code, signal) => {
    console.log(`start-local: ${name} exited (${signal ?? code})`)
    if (!stopping) {
      console.log(`start-local: ${name} stopped on its own; stopping the others`)
      exitCode = 1
      stop()
    }
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(exitCode)
  })
  return child
}

function stop() {
  if (stopping) return
  stopping = true
  clearTimeout(dispatcherTimer)
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
  // Ingest and dispatcher drain within POSTEE_DRAIN_GRACE_MS (20 s by default) and a little more.
  setTimeout(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    process.exit(exitCode || 1)
  }, 30_000).unref()
  if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(exitCode)
}

try {
  await ensureDatabase(env.DATABASE_URL)
} catch (error) {
  console.error(
    `start-local: cannot prepare the database at ${new URL(env.DATABASE_URL).host} (DATABASE_URL): ${error.message}; start Postgres or point DATABASE_URL at it`,
  )
  process.exit(1)
}
run('echo-sink', ['tools/echo-sink.mjs'])
run('ingest', ['services/ingest/dist/main.js'])
// The dispatcher starts once ingest has applied the migrations.
dispatcherTimer = setTimeout(() => run('dispatcher', ['services/dispatcher/dist/main.js']), 2_000)
console.log(
  `start-local: the API needs the admin token, e.g. curl -H 'Authorization: Bearer ${env.POSTEE_ADMIN_TOKEN}' http://localhost:8082/api/deliveries`,
)
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
