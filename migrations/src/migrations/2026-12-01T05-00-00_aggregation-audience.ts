import { sql, type Kysely } from 'kysely'

// Frozen in time: an aggregation window belongs to an output and an audience (who receives the
// message when that depends on the scan, e.g. its owners), so one batch never carries scans of
// different audiences. '' is the audience of every output whose recipients are fixed.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('deliveries')
    .addColumn('audience', 'text', (col) => col.notNull().defaultTo(''))
    .execute()
  await db.schema.dropIndex('deliveries_held').execute()
  await sql`create index deliveries_held on deliveries (output, audience, created_at, id) where status = 'buffered' and batch_id is null`.execute(
    db,
  )
  await db.schema
    .alterTable('aggregation_windows')
    .addColumn('audience', 'text', (col) => col.notNull().defaultTo(''))
    .execute()
  await sql`alter table aggregation_windows drop constraint aggregation_windows_pkey`.execute(db)
  await sql`alter table aggregation_windows add constraint aggregation_windows_pkey primary key (output, audience)`.execute(db)
}

// Going down merges every audience's window back into one per output (the earliest); held
// deliveries stay held and are flushed together again, as before this migration.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from aggregation_windows w using aggregation_windows o
    where o.output = w.output and (o.opened_at, o.audience) < (w.opened_at, w.audience)`.execute(db)
  await sql`alter table aggregation_windows drop constraint aggregation_windows_pkey`.execute(db)
  await db.schema.alterTable('aggregation_windows').dropColumn('audience').execute()
  await sql`alter table aggregation_windows add constraint aggregation_windows_pkey primary key (output)`.execute(db)
  await db.schema.dropIndex('deliveries_held').execute()
  await sql`create index deliveries_held on deliveries (output, created_at, id) where status = 'buffered' and batch_id is null`.execute(db)
  await db.schema.alterTable('deliveries').dropColumn('audience').execute()
}
