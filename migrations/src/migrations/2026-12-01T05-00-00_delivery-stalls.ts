import { type Kysely } from 'kysely'

// Frozen in time: how many times a worker stopped (was killed) while it held the delivery. The
// ledger counts it when a claim finds the row still `sending`, so a delivery that kills every
// worker that sends it ends `dead` instead of looping forever.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('deliveries')
    .addColumn('stalls', 'integer', (col) => col.notNull().defaultTo(0))
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('deliveries').dropColumn('stalls').execute()
}
