import { randomUUID } from 'node:crypto'
import { expect } from 'chai'
import type { Kysely } from 'kysely'
import { createTestDatabase, type TestDatabase } from '@postee/testkit'
import {
  flushOutput,
  holdForAggregation,
  listOpenWindows,
  markAttemptFailed,
  claimDelivery,
  markForReplay,
  markSent,
  openDatabase,
  type Database,
} from '../src/index.js'

async function hold(db: Kysely<Database>, output: string, aggregation: { issuesNumber?: number; timeoutMs?: number }, audience = '') {
  const scanId = randomUUID()
  const id = randomUUID()
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('scans')
      .values({
        id: scanId,
        source: 'aqua',
        registry: 'r',
        image: id,
        digest: '',
        outcome: 'new',
        raw_body: '{}',
        size_bytes: 2,
        diff: null,
        base_digest: null,
        base_scan_id: null,
      })
      .execute()
    await trx.insertInto('deliveries').values({ id, scan_id: scanId, output, audience, kind: 'webhook', status: 'buffered' }).execute()
    const [trigger] = await holdForAggregation(trx, [
      { output, audience, aggregation: { issuesNumber: aggregation.issuesNumber, timeoutMs: aggregation.timeoutMs } },
    ])
    return { id, trigger: trigger! }
  })
}

describe('aggregation repository (Postgres)', () => {
  let database: TestDatabase
  let db: Kysely<Database>
  before(async () => {
    database = await createTestDatabase()
    db = openDatabase(database.url)
  })
  after(async () => {
    await db?.destroy()
    await database?.drop()
  })

  it('the first held delivery opens the window; later ones join it; the count says when it is full', async () => {
    const first = await hold(db, 'count', { issuesNumber: 2, timeoutMs: 60_000 })
    const second = await hold(db, 'count', { issuesNumber: 2, timeoutMs: 60_000 })
    expect(first.trigger.opened?.flushAt?.getTime()).to.be.closeTo(first.trigger.opened!.openedAt.getTime() + 60_000, 5)
    expect(first.trigger.full).to.equal(false)
    expect(second.trigger.opened).to.equal(undefined)
    expect(second.trigger.full).to.equal(true)
  })

  it('each audience of an output has its own window and count, and a flush takes only its own audience', async () => {
    const aggregation = { issuesNumber: 2, timeoutMs: 60_000 }
    const alice1 = await hold(db, 'owners', aggregation, 'email-alice')
    const mallory1 = await hold(db, 'owners', aggregation, 'email-mallory')
    expect(alice1.trigger).to.include({ audience: 'email-alice', full: false })
    expect(mallory1.trigger).to.include({ audience: 'email-mallory', full: false })
    expect(mallory1.trigger.opened, 'a second audience opens its own window').to.not.equal(undefined)
    const alice2 = await hold(db, 'owners', aggregation, 'email-alice')
    expect(alice2.trigger).to.include({ full: true })
    const windows = (await listOpenWindows(db)).filter((w) => w.output === 'owners').map((w) => [w.audience, w.held])
    expect(windows).to.have.deep.members([
      ['email-alice', 2],
      ['email-mallory', 1],
    ])

    const batchId = randomUUID()
    const output = { name: 'owners', kind: 'webhook', aggregation }
    const outcome = await flushOutput(db, output, batchId, 'email-alice')
    expect(outcome.batch).to.deep.equal({ id: batchId, size: 2 })
    const members = await db.selectFrom('deliveries').select('id').where('batch_id', '=', batchId).execute()
    expect(members.map((m) => m.id)).to.have.members([alice1.id, alice2.id])
    const batch = await db.selectFrom('deliveries').select('audience').where('id', '=', batchId).executeTakeFirstOrThrow()
    expect(batch.audience).to.equal('email-alice')
    // Mallory's scan is still held in its own window, below its count.
    expect((await flushOutput(db, output, randomUUID(), 'email-mallory')).batch).to.equal(undefined)
  })

  it('a flush before the window ends and below the count does nothing and says when to look again', async () => {
    await hold(db, 'early', { timeoutMs: 60_000 })
    const outcome = await flushOutput(
      db,
      { name: 'early', kind: 'webhook', aggregation: { issuesNumber: undefined, timeoutMs: 60_000 } },
      randomUUID(),
    )
    expect(outcome.batch).to.equal(undefined)
    expect(outcome.notBefore!.getTime()).to.be.greaterThan(Date.now() + 50_000)
  })

  it('an output whose aggregation keys were removed flushes what it holds at once', async () => {
    await hold(db, 'unaggregated', { timeoutMs: 3_600_000 })
    await hold(db, 'unaggregated', { timeoutMs: 3_600_000 })
    const outcome = await flushOutput(
      db,
      { name: 'unaggregated', kind: 'webhook', aggregation: { issuesNumber: undefined, timeoutMs: undefined } },
      randomUUID(),
    )
    expect(outcome.batch?.size).to.equal(2)
    expect(outcome.next).to.equal(undefined)
  })

  it('concurrent flushes make one batch, and every held delivery is in exactly one batch', async () => {
    const held = []
    for (let i = 0; i < 7; i++) held.push((await hold(db, 'race', { issuesNumber: 3 })).id)
    const pools = Array.from({ length: 4 }, () => openDatabase(database.url, { max: 1 }))
    try {
      const output = { name: 'race', kind: 'webhook', aggregation: { issuesNumber: 3, timeoutMs: undefined } }
      const outcomes = await Promise.all(pools.map((pool) => flushOutput(pool, output, randomUUID())))
      const batches = outcomes.filter((o) => o.batch).map((o) => o.batch!)
      expect(batches.map((b) => b.size)).to.deep.equal([3, 3])
    } finally {
      await Promise.all(pools.map((pool) => pool.destroy()))
    }
    const rows = await db.selectFrom('deliveries').select(['id', 'batch_id']).where('id', 'in', held).orderBy('created_at').execute()
    expect(rows.filter((r) => r.batch_id === null).map((r) => r.id)).to.deep.equal([held[6]])
    const [window] = (await listOpenWindows(db)).filter((w) => w.output === 'race')
    expect(window).to.include({ held: 1 })
  })

  it('a batch carries its deliveries through sent, and a replay of a dead member replays the batch', async () => {
    for (let i = 0; i < 2; i++) await hold(db, 'ledger', { issuesNumber: 2 })
    const batchId = randomUUID()
    await flushOutput(db, { name: 'ledger', kind: 'webhook', aggregation: { issuesNumber: 2, timeoutMs: undefined } }, batchId)
    await claimDelivery(db, batchId)
    await markAttemptFailed(db, batchId, 'dead', 'HTTP 503')
    const members = await db.selectFrom('deliveries').select(['id', 'status', 'last_error']).where('batch_id', '=', batchId).execute()
    expect(members.map((m) => m.status)).to.deep.equal(['dead', 'dead'])
    const replayed = await markForReplay(db, { ids: [members[0]!.id] })
    expect(replayed.map((r) => r.id)).to.deep.equal([batchId])
    expect(
      (await db.selectFrom('deliveries').select('status').where('batch_id', '=', batchId).execute()).map((m) => m.status),
    ).to.deep.equal(['buffered', 'buffered'])
    await claimDelivery(db, batchId)
    await markSent(db, batchId, 'EXT-1')
    const sent = await db.selectFrom('deliveries').select(['status', 'external_id']).where('batch_id', '=', batchId).execute()
    expect(sent).to.deep.equal([
      { status: 'sent', external_id: 'EXT-1' },
      { status: 'sent', external_id: 'EXT-1' },
    ])
  })
})
