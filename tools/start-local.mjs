#!/usr/bin/env node
// Starts the whole stack on this machine against local Postgres and Redis: creates the database
// if it is missing, then runs ingest, one dispatcher and the echo sink of the example config,
// with their logs interleaved. Ctrl-C stops everything (SIGTERM: ingest and dispatcher drain).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

const root = fileURLToPath(new URL('..', import.meta.url))
const env = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postee',
  REDIS_URL: 'redis://127.0.0.1:6379',
  AQUAALERT_CFG: `${root}config/cfg.example.yaml`,
  POSTEE_EXAMPLE_WEBHOOK_URL: 'http://127.0.0.1:8099/postee',
  // The operators' token for /api/* and reload on this local stack (the API is closed without one).
  POSTEE_ADMIN_TOKEN: 'local-admin-token',
  ...process.env,
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

function run(name, args) {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] })
  child.on('exit', (code, signal) => console.log(`start-local: ${name} exited (${signal ?? code})`))
  return child
}

await ensureDatabase(env.DATABASE_URL)
const children = [run('echo-sink', ['tools/echo-sink.mjs']), run('ingest', ['services/ingest/dist/main.js'])]
// The dispatcher starts once ingest has applied the migrations.
setTimeout(() => children.push(run('dispatcher', ['services/dispatcher/dist/main.js'])), 2_000)
console.log(`start-local: the API needs the admin token, e.g. curl -H 'Authorization: Bearer ${env.POSTEE_ADMIN_TOKEN}' http://localhost:8082/api/deliveries`)
const stop = () => children.forEach((child) => child.kill('SIGTERM'))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
