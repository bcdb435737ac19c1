import { sql, type Kysely } from 'kysely'

// Frozen in time: this file must keep producing the same schema whatever the app becomes.

export async function up(db: Kysely<any>): Promise<void> {
  // One row per scan identity (registry, image, digest): the latest finding set seen for it.
  await db.schema
    .createTable('scan_history')
    .addColumn('id', 'bigserial', (col) => col.primaryKey())
    .addColumn('registry', 'text', (col) => col.notNull())
    .addColumn('image', 'text', (col) => col.notNull())
    .addColumn('digest', 'text', (col) => col.notNull())
    .addColumn('fingerprint', 'text', (col) => col.notNull())
    // JSON text, not jsonb: it is only ever read back whole by the app, and jsonb costs CPU to build.
    .addColumn('findings', 'text', (col) => col.notNull())
    .addColumn('disallowed', 'boolean', (col) => col.notNull())
    .addColumn('malware_count', 'integer', (col) => col.notNull())
    .addColumn('sensitive_count', 'integer', (col) => col.notNull())
    .addColumn('latest_scan_id', 'uuid', (col) => col.notNull())
    .addColumn('workloads', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('size_bytes', 'integer', (col) => col.notNull())
    .addColumn('first_seen', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('last_seen', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('scan_history_identity', ['registry', 'image', 'digest'])
    .execute()
  await db.schema.createIndex('scan_history_latest_by_image').on('scan_history').columns(['registry', 'image', 'last_seen desc']).execute()
  await db.schema.createIndex('scan_history_last_seen').on('scan_history').column('last_seen').execute()

  // One row per accepted POST, unchanged rescans included: what the API and the outputs read.
  await db.schema
    .createTable('scans')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('source', 'text', (col) => col.notNull())
    .addColumn('registry', 'text', (col) => col.notNull())
    .addColumn('image', 'text', (col) => col.notNull())
    .addColumn('digest', 'text', (col) => col.notNull())
    .addColumn('outcome', 'text', (col) => col.notNull().check(sql`outcome in ('new', 'changed', 'unchanged')`))
    .addColumn('received_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('base_digest', 'text')
    .addColumn('base_scan_id', 'uuid')
    .addColumn('diff', 'jsonb')
    .addColumn('raw_body', 'text', (col) => col.notNull())
    .addColumn('size_bytes', 'integer', (col) => col.notNull())
    .execute()
  await db.schema.createIndex('scans_received_at').on('scans').column('received_at').execute()

  await db.schema
    .createTable('deliveries')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('scan_id', 'uuid', (col) => col.notNull().references('scans.id').onDelete('cascade'))
    .addColumn('output', 'text', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull().check(sql`status in ('pending', 'buffered', 'sending', 'sent', 'failed', 'dead')`))
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('external_id', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('enqueued_at', 'timestamptz')
    .addColumn('sent_at', 'timestamptz')
    .addUniqueConstraint('deliveries_scan_output', ['scan_id', 'output'])
    .execute()
  // The relay looks at in-flight rows only; a partial index keeps that cheap however long the ledger.
  await sql`create index deliveries_in_flight on deliveries (created_at) where status in ('pending', 'sending')`.execute(db)
  await db.schema.createIndex('deliveries_status_output').on('deliveries').columns(['status', 'output']).execute()

  // The self-signed TLS pair ingest generates when none is configured, shared by every replica.
  await db.schema
    .createTable('tls_material')
    .addColumn('name', 'text', (col) => col.primaryKey())
    .addColumn('cert_pem', 'text', (col) => col.notNull())
    .addColumn('key_pem', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('tls_material').execute()
  await db.schema.dropTable('deliveries').execute()
  await db.schema.dropTable('scans').execute()
  await db.schema.dropTable('scan_history').execute()
}
