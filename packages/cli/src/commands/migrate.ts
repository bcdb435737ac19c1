import { migrateToLatest } from '@postee/migrations'
import { readRuntimeEnv } from '@postee/shared'
import type { CommandIo, ExitCode } from '../io.js'

/** Usage of `postee migrate`. */
export const MIGRATE_USAGE = `postee migrate
  Brings the schema at DATABASE_URL up to date (under an advisory lock; safe beside running services).`

/** `postee migrate`. */
export async function migrateCommand(_args: readonly string[], io: CommandIo): Promise<ExitCode> {
  const { applied } = await migrateToLatest(readRuntimeEnv(io.env).databaseUrl)
  io.out(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'the schema is up to date')
  return 0
}
