import { sql, type Kysely } from 'kysely'

// Frozen in time: aggregation batches are deliveries too.

export async function up(db: Kysely<any>): Promise<void> {
  // A batch delivery carries several scans, so it has no single scan; held deliveries point at it.
  await db.schema
    .alterTable('deliveries')
    .alterColumn('scan_id', (col) => col.dropNotNull())
    .execute()
  await db.schema
    .alterTable('deliveries')
    .addColumn('batch_id', 'uuid', (col) => col.references('deliveries.id').onDelete('set null'))
    .execute()
  await sql`create index deliveries_held on deliveries (output, created_at, id) where status = 'buffered' and batch_id is null`.execute(db)
  await db.schema.createIndex('deliveries_batch').on('deliveries').column('batch_id').where(sql.ref('batch_id'), 'is not', null).execute()

  // One open window per aggregated output: opened by its first held delivery, flushed at flush_at
  // (null when only Aggregate-Issues-Number is set).
  await db.schema
    .createTable('aggregation_windows')
    .addColumn('output', 'text', (col) => col.primaryKey())
    .addColumn('opened_at', 'timestamptz', (col) => col.notNull())
    .addColumn('flush_at', 'timestamptz')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('aggregation_windows').execute()
  await db.schema.dropIndex('deliveries_batch').execute()
  await db.schema.dropIndex('deliveries_held').execute()
  await db.schema.alterTable('deliveries').dropColumn('batch_id').execute()
  await db.deleteFrom('deliveries').where('scan_id', 'is', null).execute()
  await db.schema
    .alterTable('deliveries')
    .alterColumn('scan_id', (col) => col.setNotNull())
    .execute()
}
