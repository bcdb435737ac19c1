// kysely 0.28 (the last release that declares Node 20 support) exports the migrator from its root;
// 0.29 moved it to 'kysely/migration'.
import { Kysely, Migrator, PostgresDialect, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely'
import pg from 'pg'
import * as initialSchema from './migrations/2026-11-26T19-00-00_initial-schema.js'
import * as aggregation from './migrations/2026-11-26T20-00-00_aggregation.js'
import * as compressedBodies from './migrations/2026-11-26T21-00-00_compressed-bodies.js'
import * as aggregationAudience from './migrations/2026-12-01T05-00-00_aggregation-audience.js'
import * as deliveryStalls from './migrations/2026-12-01T05-00-00_delivery-stalls.js'
import * as scanSummaries from './migrations/2026-12-01T05-10-00_scan-summaries.js'
import * as findings from './migrations/2026-12-01T07-00-00_findings.js'

// Listed by hand rather than read from a folder, so the compiled package runs with plain node and
// a missing file is a build error instead of a silently skipped migration.
const migrations: Record<string, Migration> = {
  '2026-11-26T19-00-00_initial-schema': initialSchema,
  '2026-11-26T20-00-00_aggregation': aggregation,
  '2026-11-26T21-00-00_compressed-bodies': compressedBodies,
  '2026-12-01T05-00-00_aggregation-audience': aggregationAudience,
  '2026-12-01T05-00-00_delivery-stalls': deliveryStalls,
  '2026-12-01T05-10-00_scan-summaries': scanSummaries,
  '2026-12-01T07-00-00_findings': findings,
}

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) }

/** The outcome of a migration run: the migrations applied now, or the error that stopped it. */
export interface MigrateReport {
  readonly applied: readonly string[]
}

/**
 * Brings the schema at `databaseUrl` up to date. Kysely's Postgres adapter takes an advisory lock,
 * so any number of ingest replicas and migration jobs may run this at once.
 */
export async function migrateToLatest(databaseUrl: string, options: { readonly connectTimeoutMs?: number } = {}): Promise<MigrateReport> {
  // Bounded connect, so a caller that waits for Postgres can retry instead of hanging on a
  // partitioned server; a lost connection fails this run (handled below), never the process.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1, connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000 })
  pool.on('error', () => undefined)
  pool.on('connect', (client) => client.on('error', () => undefined))
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) })
  try {
    const migrator = new Migrator({ db, provider })
    const result: MigrationResultSet = await migrator.migrateToLatest()
    if (result.error) {
      const failed = result.results?.find((r) => r.status === 'Error')?.migrationName
      const cause = result.error instanceof Error ? result.error.message : JSON.stringify(result.error)
      throw new Error(`migration ${failed ?? '(unknown)'} failed: ${cause}`, { cause: result.error })
    }
    return { applied: (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) }
  } finally {
    await db.destroy()
  }
}
