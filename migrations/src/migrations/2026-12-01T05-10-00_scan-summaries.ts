import { type Kysely } from 'kysely'

// Frozen in time: a bounded summary of each scan (its model with the most severe findings only,
// compressed JSON), so a dispatcher renders a 20 MB scan without parsing its body. Rows stored
// before it have none, and are rendered from their body as before.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('scans').addColumn('summary', 'bytea').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('scans').dropColumn('summary').execute()
}
