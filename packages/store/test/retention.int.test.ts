import { randomUUID } from 'node:crypto'
import { expect } from 'chai'
import { sql, type Kysely } from 'kysely'
import { createTestDatabase, type TestDatabase } from '@postee/testkit'
import { applyRetention, openDatabase, type Database, type DeliveryStatus } from '../src/index.js'

async function seedScan(
  db: Kysely<Database>,
  image: string,
  daysAgo: number,
  bytes: number,
  deliveryStatus?: DeliveryStatus,
): Promise<string> {
  const id = randomUUID()
  const at = sql<Date>`now() - make_interval(days => ${daysAgo})`
  await db
    .insertInto('scans')
    .values({
      id,
      source: 'aqua',
      registry: 'r',
      image,
      digest: 'd',
      outcome: 'new',
      raw_body: 'x'.repeat(bytes),
      size_bytes: bytes,
      diff: null,
      base_digest: null,
      base_scan_id: null,
      received_at: at,
    })
    .execute()
  await db
    .insertInto('scan_history')
    .values({
      registry: 'r',
      image,
      digest: 'd',
      fingerprint: 'f',
      findings: '[]',
      disallowed: false,
      malware_count: 0,
      sensitive_count: 0,
      latest_scan_id: id,
      size_bytes: bytes,
      first_seen: at,
      last_seen: at,
    })
    .execute()
  if (deliveryStatus) {
    await db
      .insertInto('deliveries')
      .values({ id: randomUUID(), scan_id: id, output: 'o', kind: 'webhook', status: deliveryStatus })
      .execute()
  }
  return id
}

async function images(db: Kysely<Database>, table: 'scans' | 'scan_history'): Promise<string[]> {
  return (await db.selectFrom(table).select('image').orderBy('image').execute()).map((row) => row.image)
}

describe('applyRetention (Postgres)', () => {
  let database: TestDatabase
  let db: Kysely<Database>

  beforeEach(async () => {
    database = await createTestDatabase()
    db = openDatabase(database.url)
  })
  afterEach(async () => {
    await db?.destroy()
    await database?.drop()
  })

  it('Delete_Old_Data: removes records last seen longer ago, never a scan with a delivery in flight', async () => {
    await seedScan(db, 'fresh', 1, 10, 'sent')
    await seedScan(db, 'old-sent', 40, 10, 'sent')
    await seedScan(db, 'old-pending', 40, 10, 'pending')
    await seedScan(db, 'old-no-delivery', 40, 10)
    const report = await applyRetention(db, { deleteOldDataDays: 30, maxBytes: undefined })
    expect(report).to.deep.equal({ skipped: false, historyDeleted: 3, scansDeleted: 2 })
    expect(await images(db, 'scans')).to.deep.equal(['fresh', 'old-pending'])
    expect(await images(db, 'scan_history')).to.deep.equal(['fresh'])
    expect(await db.selectFrom('deliveries').select('status').execute()).to.have.length(2)
  })

  it('Max_DB_Size: removes the oldest records until the stored bytes fit, keeping the newest', async () => {
    for (let day = 1; day <= 10; day++) await seedScan(db, `day-${String(day).padStart(2, '0')}`, day, 1_000, 'sent')
    // 8,000 bytes: 4,000 for history rows and 4,000 for scan records, newest first.
    await applyRetention(db, { deleteOldDataDays: undefined, maxBytes: 8_000 })
    expect(await images(db, 'scans')).to.deep.equal(['day-01', 'day-02', 'day-03', 'day-04'])
    expect(await images(db, 'scan_history')).to.deep.equal(['day-01', 'day-02', 'day-03', 'day-04'])
  })

  it('does nothing when neither key is set, and only one replica runs a pass at a time', async () => {
    await seedScan(db, 'old', 400, 10, 'sent')
    expect(await applyRetention(db, { deleteOldDataDays: undefined, maxBytes: undefined })).to.include({
      historyDeleted: 0,
      scansDeleted: 0,
    })
    const other = openDatabase(database.url, { max: 1 })
    try {
      await other.connection().execute(async (conn) => {
        await sql`select pg_advisory_lock(${0x706f7374})`.execute(conn)
        expect(await applyRetention(db, { deleteOldDataDays: 1, maxBytes: undefined })).to.include({ skipped: true })
        await sql`select pg_advisory_unlock(${0x706f7374})`.execute(conn)
      })
    } finally {
      await other.destroy()
    }
    expect(await images(db, 'scans')).to.deep.equal(['old'])
  })
})
