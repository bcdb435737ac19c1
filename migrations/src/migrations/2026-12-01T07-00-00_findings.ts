import { sql, type Kysely } from 'kysely'

// Frozen in time: the state of every finding of every image (registry + image as the scan names
// it, the identity a rescan is diffed against), kept in the transaction that stores the scan.
// `finding_key` is SHA-256 of (resource, version, vulnerability), length-prefixed, so the unique
// key stays small and within the btree's entry size however long a resource path is.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('findings')
    .addColumn('id', 'bigserial', (col) => col.primaryKey())
    .addColumn('registry', 'text', (col) => col.notNull())
    .addColumn('image', 'text', (col) => col.notNull())
    .addColumn('finding_key', 'bytea', (col) => col.notNull())
    .addColumn('resource', 'text', (col) => col.notNull())
    .addColumn('resource_version', 'text', (col) => col.notNull())
    .addColumn('vulnerability', 'text', (col) => col.notNull())
    .addColumn('severity', 'text', (col) => col.notNull())
    .addColumn('fix_version', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull().check(sql`state in ('open', 'fixed')`))
    .addColumn('first_seen', 'timestamptz', (col) => col.notNull())
    .addColumn('last_seen', 'timestamptz', (col) => col.notNull())
    .addColumn('fixed_at', 'timestamptz')
    .addColumn('times_reopened', 'integer', (col) => col.notNull().defaultTo(0))
    .addUniqueConstraint('findings_identity', ['registry', 'image', 'finding_key'])
    .execute()
  // Every rescan rewrites last_seen of its image's rows: room on each page lets Postgres update
  // them in place (HOT, no index touched), since no index holds last_seen.
  await sql`alter table findings set (fillfactor = 70)`.execute(db)
  // The API's filters, each in id order (its cursor); the first also finds an image's open rows.
  await db.schema.createIndex('findings_by_image').on('findings').columns(['registry', 'image', 'state', 'id']).execute()
  await db.schema.createIndex('findings_by_vulnerability').on('findings').columns(['vulnerability', 'id']).execute()
  await db.schema.createIndex('findings_by_state').on('findings').columns(['state', 'id']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('findings').execute()
}
