import { randomUUID } from 'node:crypto'
import { expect } from 'chai'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { deliveryQueueName } from '@postee/shared'
import { openDatabase } from '@postee/store'
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@postee/testkit'
import { run } from '../src/cli.js'
import { seedScan } from './seed.testkit.js'

function captureIo(env: NodeJS.ProcessEnv) {
  const out: string[] = []
  const err: string[] = []
  return { io: { env, out: (line: string) => out.push(line), err: (line: string) => err.push(line) }, out, err }
}

describe('postee CLI: deliveries, replay, migrate', function () {
  let database: TestDatabase
  let redis: TestRedis
  let env: NodeJS.ProcessEnv
  const ids = { failed: randomUUID(), dead: randomUUID(), sent: randomUUID() }

  before(async () => {
    database = await createTestDatabase()
    redis = await createTestRedis()
    env = { DATABASE_URL: database.url, REDIS_URL: redis.url, POSTEE_QUEUE_PREFIX: redis.prefix }
    const db = openDatabase(database.url)
    const scanId = await seedScan(db)
    await db
      .insertInto('deliveries')
      .values([
        {
          id: ids.failed,
          scan_id: scanId,
          output: 'jira',
          kind: 'jira',
          status: 'failed',
          attempts: 1,
          last_error: 'HTTP 400: project is required',
        },
        { id: ids.dead, scan_id: scanId, output: 'slack', kind: 'slack', status: 'dead', attempts: 10, last_error: 'HTTP 503' },
        { id: ids.sent, scan_id: scanId, output: 'hook', kind: 'webhook', status: 'sent', attempts: 1, last_error: null },
      ])
      .execute()
    await db.destroy()
  })
  after(async () => {
    await redis?.cleanup()
    await database?.drop()
  })

  it('lists the dead letters with their errors', async () => {
    const { io, out } = captureIo(env)
    expect(await run(['deliveries'], io)).to.equal(0)
    expect(out[0]).to.match(/^ID\s+OUTPUT\s+IMAGE\s+STATUS\s+ATTEMPTS\s+UPDATED\s+LAST ERROR$/)
    expect(out.join('\n')).to.include('project is required').and.include('HTTP 503').and.not.include(ids.sent)
  })

  it('prints JSON with --json and filters by status', async () => {
    const { io, out } = captureIo(env)
    expect(await run(['deliveries', '--status', 'sent', '--json'], io)).to.equal(0)
    expect(JSON.parse(out.join('\n')).deliveries.map((d: { id: string }) => d.id)).to.deep.equal([ids.sent])
  })

  it('explains bad usage with exit code 2', async () => {
    const bad = captureIo(env)
    expect(await run(['replay'], bad.io)).to.equal(2)
    expect(bad.err.join('\n')).to.match(/say which deliveries to replay/)
    // The usage is printed once, by the command runner.
    expect(bad.err.join('\n').split('postee replay (--id').length - 1).to.equal(1)
    const unknown = captureIo(env)
    expect(await run(['deliveries', '--status', 'lost'], unknown.io)).to.equal(2)
    expect(await run(['frobnicate'], captureIo(env).io)).to.equal(2)
  })

  it('replays one output, queues it under its delivery id, with progress', async () => {
    const { io, out, err } = captureIo(env)
    expect(await run(['replay', '--output', 'slack'], io)).to.equal(0)
    expect(out.join('\n')).to.equal('replayed 1 delivery')
    expect(err).to.deep.equal(['replayed 1/1'])
    const connection = new Redis(redis.url)
    const queue = new Queue(deliveryQueueName('slack'), { connection, prefix: redis.prefix })
    expect((await queue.getJob(ids.dead))?.data).to.deep.equal({ deliveryId: ids.dead, output: 'slack' })
    await queue.close()
    connection.disconnect()
    const after = captureIo(env)
    await run(['deliveries', '--json'], after.io)
    expect(JSON.parse(after.out.join('\n')).deliveries.map((d: { id: string }) => d.id)).to.deep.equal([ids.failed])
  })

  it('refuses a malformed --id or --since as bad usage (exit 2), saying what to write', async () => {
    for (const [args, message] of [
      [['--id', 'not-a-uuid'], /--id "not-a-uuid" is not a delivery id; ids are UUIDs/],
      [['--id', ids.failed, '--id', '42'], /--id "42" is not a delivery id/],
      [
        ['--since', 'yesterday'],
        /--since "yesterday" is not an ISO 8601 time \(2026-11-26T10:00:00Z\) or an age: a number with s, m, h, d or w \(30m, 2h, 1d\)/,
      ],
    ] as const) {
      const { io, err, out } = captureIo(env)
      expect(await run(['replay', ...args], io)).to.equal(2)
      expect(err.join('\n'))
        .to.match(message)
        .and.not.match(/invalid input syntax/)
      expect(out).to.deep.equal([])
    }
  })

  it("shows each delivery's image, and reads --since as an age or an ISO time", async () => {
    const table = captureIo(env)
    expect(await run(['deliveries', '--status', 'sent'], table.io)).to.equal(0)
    expect(table.out[0]).to.match(/^ID\s+OUTPUT\s+IMAGE\s+STATUS/)
    expect(table.out[1]).to.match(new RegExp(`^${ids.sent}\\s+hook\\s+r/i\\s+sent`))
    for (const [since, expected] of [
      ['1h', [ids.sent]],
      ['30m', [ids.sent]],
      ['2000-01-01T00:00:00Z', [ids.sent]],
      ['2999-01-01T00:00:00Z', []],
    ] as const) {
      const { io, out } = captureIo(env)
      expect(await run(['deliveries', '--status', 'sent', '--since', since, '--json'], io)).to.equal(0)
      expect(
        JSON.parse(out.join('\n')).deliveries.map((d: { id: string }) => d.id),
        since,
      ).to.deep.equal(expected)
    }
  })

  it('replays nothing that is not failed or dead', async () => {
    const { io, out } = captureIo(env)
    expect(await run(['replay', '--id', ids.sent], io)).to.equal(0)
    expect(out).to.deep.equal(['nothing to replay: no failed or dead delivery matches'])
  })

  it('migrate is a no-op on an up-to-date schema', async () => {
    const { io, out } = captureIo(env)
    expect(await run(['migrate'], io)).to.equal(0)
    expect(out).to.deep.equal(['the schema is up to date'])
  })
})
