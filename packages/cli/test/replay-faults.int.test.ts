import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { openDatabase } from '@postee/store'
import { createTestDatabase, startOwnRedis, startProcess, type OwnRedis, type TestDatabase } from '@postee/testkit'
import { seedScan } from './seed.testkit.js'

const CLI_ENTRY = fileURLToPath(new URL('../dist/main.js', import.meta.url))

describe('postee replay while Redis is down (the CLI as a process)', function () {
  this.timeout(60_000)
  let database: TestDatabase
  let redis: OwnRedis
  const dead = [randomUUID(), randomUUID()]

  before(async () => {
    database = await createTestDatabase()
    redis = await startOwnRedis()
    await redis.stop()
    const db = openDatabase(database.url)
    const scanId = await seedScan(db)
    await db
      .insertInto('deliveries')
      .values(
        dead.map((id, i) => ({
          id,
          scan_id: scanId,
          output: `hook-${i}`,
          kind: 'webhook',
          status: 'dead' as const,
          attempts: 3,
          last_error: 'HTTP 503',
        })),
      )
      .execute()
    await db.destroy()
  })
  after(async () => {
    await redis?.stop()
    await database?.drop()
  })

  it('answers within seconds: the rows are back to pending and the relay will queue them; exit 0', async () => {
    const started = Date.now()
    const cli = startProcess(
      CLI_ENTRY,
      { DATABASE_URL: database.url, REDIS_URL: redis.url, POSTEE_QUEUE_PREFIX: `replay_${randomUUID()}` },
      ['replay', '--all'],
    )
    const timer = setTimeout(() => cli.child.kill('SIGKILL'), 30_000)
    const code = await cli.exited
    clearTimeout(timer)
    const elapsed = Date.now() - started
    // Generous for a loaded machine: before, the command never ended.
    expect(elapsed, cli.output()).to.be.lessThan(20_000)
    expect(code, cli.output()).to.equal(0)
    expect(cli.output())
      .to.match(/2 deliveries moved back to pending/)
      .and.match(/relay .*queue them when Redis/i)
    expect(cli.output()).not.to.match(/Unhandled error event|^\s+at /m)
    const db = openDatabase(database.url)
    const rows = await db.selectFrom('deliveries').select(['status', 'enqueued_at']).where('id', 'in', dead).execute()
    await db.destroy()
    expect(rows.map((r) => r.status)).to.deep.equal(['pending', 'pending'])
  })
})
