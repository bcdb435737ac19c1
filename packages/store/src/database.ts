import { Kysely, PostgresDialect, type ColumnType, type Generated } from 'kysely'
import pg from 'pg'
import { isPostgresConnectionError, type DependencyStatus } from './dependency-status.js'

// Postgres bigint and numeric come back as strings by default; our counters fit in a JS number.
pg.types.setTypeParser(20, (value) => Number(value))

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>

/** The scan_history table: the latest finding set per scan identity. */
export interface ScanHistoryTable {
  id: Generated<number>
  registry: string
  image: string
  digest: string
  fingerprint: string
  findings: string
  disallowed: boolean
  malware_count: number
  sensitive_count: number
  latest_scan_id: string
  workloads: ColumnType<unknown, string | undefined, string>
  size_bytes: number
  first_seen: Timestamp
  last_seen: Timestamp
}

/** The scans table: one row per accepted POST. */
export interface ScansTable {
  id: string
  source: string
  registry: string
  image: string
  digest: string
  outcome: 'new' | 'changed' | 'unchanged'
  received_at: Timestamp
  base_digest: string | null
  base_scan_id: string | null
  diff: ColumnType<unknown, string | null, string | null>
  /** The bounded summary of the scan (compressed JSON, see scan-summary.ts); null in older rows. */
  summary: Buffer | null
  /** Only in rows stored before bodies were compressed. */
  raw_body: string | null
  /** The body as received, Brotli-compressed (see body.ts). */
  body: Buffer | null
  size_bytes: number
}

/** Every status a delivery row can have (docs/http-api.md, delivery statuses). */
export type DeliveryStatus = 'pending' | 'buffered' | 'sending' | 'sent' | 'failed' | 'dead'

/** The deliveries table: the ledger. */
export interface DeliveriesTable {
  id: string
  /** Null for an aggregation batch, which carries the scans of the deliveries pointing at it. */
  scan_id: string | null
  /** For a held delivery: the batch delivery that carried (or will carry) it. */
  batch_id: ColumnType<string | null, string | null | undefined, string | null>
  output: string
  /** Who receives it when that depends on the scan (see audienceKey); '' for fixed recipients. */
  audience: Generated<string>
  kind: string
  status: DeliveryStatus
  attempts: Generated<number>
  /** Times a claim found the row still `sending`: a worker stopped while it held the delivery. */
  stalls: Generated<number>
  last_error: string | null
  external_id: string | null
  created_at: Timestamp
  updated_at: Timestamp
  enqueued_at: Timestamp | null
  sent_at: Timestamp | null
}

/** The aggregation_windows table: the open window of each aggregated output. */
export interface AggregationWindowsTable {
  output: string
  audience: Generated<string>
  opened_at: Timestamp
  flush_at: Timestamp | null
}

/** The tls_material table: the generated self-signed pair. */
export interface TlsMaterialTable {
  name: string
  cert_pem: string
  key_pem: string
  created_at: Timestamp
}

/** Whether a finding is in its image's latest scan (`open`) or was left out of a later one (`fixed`). */
export type FindingState = 'open' | 'fixed'

/** The findings table: the lifecycle of each finding of each image (registry, image). */
export interface FindingsTable {
  id: Generated<number>
  registry: string
  image: string
  /** SHA-256 of the length-prefixed resource, version and vulnerability. */
  finding_key: Buffer
  resource: string
  resource_version: string
  vulnerability: string
  severity: string
  fix_version: string
  state: FindingState
  first_seen: Timestamp
  last_seen: Timestamp
  fixed_at: Timestamp | null
  times_reopened: Generated<number>
}

/** The schema the migrations create, as kysely sees it. */
export interface Database {
  scan_history: ScanHistoryTable
  scans: ScansTable
  deliveries: DeliveriesTable
  tls_material: TlsMaterialTable
  aggregation_windows: AggregationWindowsTable
  findings: FindingsTable
}

/** Options for the connection pool. */
export interface DatabaseOptions {
  readonly max?: number
  /** Each statement is cancelled by Postgres after this long (server side). */
  readonly statementTimeoutMs?: number
  /**
   * A statement unanswered after this long fails and its connection is discarded (client side):
   * the only limit that holds when Postgres is partitioned away and answers nothing at all.
   */
  readonly queryTimeoutMs?: number
  /** Opening a connection, or waiting for a free one in the pool, fails after this long. */
  readonly connectTimeoutMs?: number
  /** Told about every lost connection and every answered query, for logs and readiness. */
  readonly status?: DependencyStatus
}

const BROKEN = Symbol('postee.connection-lost')
type TrackedClient = pg.PoolClient & { [BROKEN]?: Error }

/**
 * Opens a pooled kysely connection to Postgres that survives Postgres going away: every client
 * error (idle or checked out) is handled, a client that lost its connection or timed out is
 * discarded instead of going back to the pool, and the pool reconnects on the next query once
 * Postgres answers again. A query on a dead connection fails that request or job, not the process.
 */
export function openDatabase(databaseUrl: string, options: DatabaseOptions = {}): Kysely<Database> {
  const { status } = options
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    statement_timeout: options.statementTimeoutMs ?? options.queryTimeoutMs ?? 15_000,
    ...(options.queryTimeoutMs !== undefined ? { query_timeout: options.queryTimeoutMs } : {}),
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
  })
  // An idle client's error (Postgres restarted): pg-pool drops the client; the next query reconnects.
  pool.on('error', (error) => status?.lost(error))
  // A checked-out client's error would otherwise be an unhandled 'error' event that ends the process.
  pool.on('connect', (client) => trackClient(client as TrackedClient, status))
  const tracked = {
    options: pool.options,
    Client: pg.Client,
    end: () => pool.end(),
    connect: async () => {
      let client: TrackedClient
      try {
        client = await pool.connect()
      } catch (error) {
        if (isPostgresConnectionError(error)) status?.lost(error)
        throw error
      }
      const release = client.release.bind(client)
      // A client whose connection broke is destroyed rather than handed to the next query.
      client.release = (destroy?: boolean | Error) => release(destroy || client[BROKEN] || undefined)
      return client
    },
  }
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: tracked }) })
}

function trackClient(client: TrackedClient, status: DependencyStatus | undefined): void {
  client.on('error', (error) => {
    client[BROKEN] = error
    status?.lost(error)
  })
  const query = client.query.bind(client) as (...args: unknown[]) => unknown
  ;(client as { query: unknown }).query = (...args: unknown[]): unknown => {
    // The rest of a transaction on a connection already lost fails at once, not after a timeout.
    if (client[BROKEN]) return Promise.reject(client[BROKEN])
    const result = query(...args)
    if (!(result instanceof Promise)) return result
    return result.then(
      (value: unknown) => {
        status?.restored()
        return value
      },
      (error: unknown) => {
        if (isPostgresConnectionError(error)) {
          client[BROKEN] = error as Error
          status?.lost(error)
        }
        throw error
      },
    )
  }
}
