import { Kysely, PostgresDialect, type ColumnType, type Generated } from 'kysely'
import pg from 'pg'

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

/** Every status a delivery row can have (contract.md "Delivery statuses"). */
export type DeliveryStatus = 'pending' | 'buffered' | 'sending' | 'sent' | 'failed' | 'dead'

/** The deliveries table: the ledger. */
export interface DeliveriesTable {
  id: string
  /** Null for an aggregation batch, which carries the scans of the deliveries pointing at it. */
  scan_id: string | null
  /** For a held delivery: the batch delivery that carried (or will carry) it. */
  batch_id: ColumnType<string | null, string | null | undefined, string | null>
  output: string
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

/** The schema the migrations create, as kysely sees it. */
export interface Database {
  scan_history: ScanHistoryTable
  scans: ScansTable
  deliveries: DeliveriesTable
  tls_material: TlsMaterialTable
  aggregation_windows: AggregationWindowsTable
}

/** Options for the connection pool. */
export interface DatabaseOptions {
  readonly max?: number
  /** Each statement is cancelled after this long, so a stuck query cannot hold a request forever. */
  readonly statementTimeoutMs?: number
}

/** Opens a pooled kysely connection to Postgres. */
export function openDatabase(databaseUrl: string, options: DatabaseOptions = {}): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    connectionTimeoutMillis: 5_000,
  })
  // An idle client's error (Postgres restarted) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined)
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
}
