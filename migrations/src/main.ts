#!/usr/bin/env node
import { migrateToLatest } from './index.js'

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postee'

try {
  const { applied } = await migrateToLatest(databaseUrl)
  console.log(JSON.stringify({ level: 'info', msg: 'migrations up to date', applied }))
} catch (error) {
  console.error(JSON.stringify({ level: 'error', msg: 'migration failed', error: (error as Error).message }))
  process.exit(1)
}
