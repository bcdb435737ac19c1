import { sql, type Kysely } from 'kysely'

// Frozen in time: scan bodies are stored compressed by the application (Brotli), as bytea that
// Postgres neither compresses again nor parses; older rows keep their text body.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('scans').addColumn('body', 'bytea').execute()
  await db.schema
    .alterTable('scans')
    .alterColumn('raw_body', (col) => col.dropNotNull())
    .execute()
  await sql`alter table scans alter column body set storage external`.execute(db)
  await sql`alter table scans add constraint scans_has_body check (body is not null or raw_body is not null)`.execute(db)
}

// Postgres cannot decompress Brotli, so going down drops the scan records stored compressed
// (their deliveries with them); the history that decides rescans is kept.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table scans drop constraint scans_has_body`.execute(db)
  await db.deleteFrom('scans').where('raw_body', 'is', null).execute()
  await db.schema
    .alterTable('scans')
    .alterColumn('raw_body', (col) => col.setNotNull())
    .execute()
  await db.schema.alterTable('scans').dropColumn('body').execute()
}
