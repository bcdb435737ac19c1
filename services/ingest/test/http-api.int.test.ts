import { connect } from 'node:net'
import { gzipSync } from 'node:zlib'
import type { Server } from 'node:http'
import { expect } from 'chai'
import { Redis } from 'ioredis'
import { Queue } from 'bullmq'
import { sql, type Kysely } from 'kysely'
import { Secret, deliveryQueueName, parseConfig, type Config } from '@postee/shared'
import { DeliveryQueues, createLogger, openDatabase, relayPendingDeliveries, type Database } from '@postee/store'
import { createTestDatabase, createTestRedis, readFixture, type TestDatabase, type TestRedis } from '@postee/testkit'
import { createApp } from '../src/app.js'
import { createIngestMetrics } from '../src/metrics.js'

const CONFIG = `
- type: common
  Max-Body-Size: 64KB
- name: hook
  type: webhook
  enable: true
  url: http://127.0.0.1:9/hook
`

interface Harness {
  url: string
  close(): Promise<void>
}

const ADMIN = { authorization: 'Bearer api-admin-token' }

async function serve(options: {
  db: Kysely<Database>
  redisUrl: string
  prefix: string
  config: Config
  tokens?: string[]
  hmacSecrets?: string[]
  adminTokens?: string[]
  bodyBudgetBytes?: number
}): Promise<Harness & { queues: DeliveryQueues; redis: Redis }> {
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
  redis.on('error', () => undefined)
  const queues = new DeliveryQueues(redis, options.prefix)
  const app = createApp({
    db: options.db,
    queues,
    config: () => options.config,
    log: createLogger('ingest-test', 'silent'),
    metrics: createIngestMetrics(),
    enqueueTimeoutMs: 500,
    ...(options.bodyBudgetBytes !== undefined ? { bodyBudgetBytes: options.bodyBudgetBytes } : {}),
    credentials: () => ({
      tokens: (options.tokens ?? []).map((t) => new Secret(t)),
      hmacSecrets: (options.hmacSecrets ?? []).map((t) => new Secret(t)),
      adminTokens: (options.adminTokens ?? ['api-admin-token']).map((t) => new Secret(t)),
    }),
    ready: async () => ({
      postgres: await sql`select 1`.execute(options.db).then(
        () => true,
        () => false,
      ),
      redis: await redis.ping().then(
        () => true,
        () => false,
      ),
    }),
  })
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    queues,
    redis,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await queues.close().catch(() => undefined)
      redis.disconnect()
    },
  }
}

async function postScan(url: string, body: Buffer | string, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/scan`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })
  const text = await response.text()
  return { status: response.status, json: text.startsWith('{') ? (JSON.parse(text) as Record<string, any>) : { text } }
}

function aquaScan(image: string): string {
  const json = JSON.parse(readFixture('aqua-input.json').toString('utf8'))
  json.image = image
  return JSON.stringify(json)
}

describe('ingest HTTP API (in process, real Postgres and Redis)', function () {
  let database: TestDatabase
  let testRedis: TestRedis
  let db: Kysely<Database>
  let harness: Awaited<ReturnType<typeof serve>>
  const config = parseConfig(CONFIG, {})

  before(async () => {
    database = await createTestDatabase()
    testRedis = await createTestRedis()
    db = openDatabase(database.url)
    harness = await serve({ db, redisUrl: testRedis.url, prefix: testRedis.prefix, config })
  })
  after(async () => {
    await harness?.close()
    await db?.destroy()
    await testRedis?.cleanup()
    await database?.drop()
  })

  describe('bad input gets a 4xx that says what is wrong', () => {
    const storedScans = async () =>
      Number(
        (
          await db
            .selectFrom('scans')
            .select((eb) => eb.fn.countAll<number>().as('count'))
            .executeTakeFirstOrThrow()
        ).count,
      )
    let scansBefore = 0
    before(async () => {
      scansBefore = await storedScans()
    })

    const cases: [string, Buffer | string, number, RegExp][] = [
      ['not JSON', 'this is not json', 400, /not JSON/],
      ['empty body', '', 400, /empty/],
      ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 400, /not valid UTF-8/],
      ['a JSON array', '[1,2]', 400, /not a scan this service accepts.*image.*registry/],
      ['no registry', '{"image":"x:1"}', 400, /`registry` is missing/],
      ['no image', '{"registry":"r"}', 400, /`image` is missing/],
      ['registry of the wrong type', '{"image":"x:1","registry":5}', 400, /`registry` is invalid/],
      [
        'a vulnerability name of the wrong type',
        '{"image":"x","registry":"r","resources":[{"vulnerabilities":[{"name":3}]}]}',
        400,
        /`resources\[0\]\.vulnerabilities\[0\]\.name` is invalid/,
      ],
      [
        'a body over the limit',
        `{"image":"x","registry":"r","pad":"${'a'.repeat(70_000)}"}`,
        413,
        /larger than the limit of 65536 bytes.*Max-Body-Size/,
      ],
    ]
    for (const [title, body, status, message] of cases) {
      it(`${title} → ${status}`, async () => {
        const answer = await postScan(harness.url, body)
        expect(answer.status).to.equal(status)
        expect(answer.json.error).to.match(message)
      })
    }

    it('applies the limit to the inflated size of a gzip body (no zip bombs)', async () => {
      const bomb = gzipSync(`{"image":"x","registry":"r","pad":"${'a'.repeat(500_000)}"}`)
      expect(bomb.length).to.be.lessThan(65_536)
      const answer = await postScan(harness.url, bomb, { 'content-encoding': 'gzip' })
      expect(answer.status).to.equal(413)
    })

    it('a corrupt gzip body → 400', async () => {
      const answer = await postScan(harness.url, Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' })
      expect(answer.status).to.equal(400)
    })

    it('stores nothing for rejected bodies, and counts them by reason', async () => {
      expect(await storedScans()).to.equal(scansBefore)
      const metrics = await (await fetch(`${harness.url}/metrics`)).text()
      expect(metrics).to.match(/postee_scans_rejected_total\{reason="invalid"\} (\d+)/)
      expect(metrics).to.match(/postee_scans_rejected_total\{reason="too-large"\} 2/)
    })
  })

  it('accepts a gzip body and answers 202 with the scan id, outcome and deliveries', async () => {
    const answer = await postScan(harness.url, gzipSync(aquaScan('gzip-test:1')), { 'content-encoding': 'gzip' })
    expect(answer.status).to.equal(202)
    expect(answer.json).to.have.keys('id', 'outcome', 'deliveries')
    expect(answer.json.outcome).to.equal('new')
    expect(answer.json.deliveries).to.have.length(1)
    expect(answer.json.deliveries[0]).to.include({ output: 'hook', status: 'pending' })
    const queue = new Queue(deliveryQueueName('hook'), { connection: harness.redis, prefix: testRedis.prefix })
    const job = await queue.getJob(answer.json.deliveries[0].id)
    expect(job?.data).to.deep.equal({ deliveryId: answer.json.deliveries[0].id, output: 'hook' })
    await queue.close()
  })

  it('serves the scan record and its deliveries', async () => {
    const answer = await postScan(harness.url, aquaScan('api-test:1'))
    const scan = (await (await fetch(`${harness.url}/api/scans/${answer.json.id}`, { headers: ADMIN })).json()) as Record<string, unknown>
    expect(scan).to.include({ id: answer.json.id, registry: 'Aqua', image: 'api-test:1', outcome: 'new', base: null, diff: null })
    expect(scan.digest).to.be.a('string')
    expect(scan.receivedAt).to.be.a('string')
    const list = (await (await fetch(`${harness.url}/api/deliveries?scan=${answer.json.id}`, { headers: ADMIN })).json()) as {
      deliveries: any[]
    }
    expect(list.deliveries).to.have.length(1)
    expect(list.deliveries[0]).to.have.keys(
      'id',
      'scan',
      'batch',
      'output',
      'kind',
      'status',
      'attempts',
      'lastError',
      'externalId',
      'createdAt',
      'updatedAt',
      'registry',
      'image',
    )
    expect(list.deliveries[0]).to.include({ registry: 'Aqua', image: 'api-test:1' })
    expect((await fetch(`${harness.url}/api/scans/00000000-0000-0000-0000-000000000000`, { headers: ADMIN })).status).to.equal(404)
    expect((await fetch(`${harness.url}/api/scans/not-a-uuid`, { headers: ADMIN })).status).to.equal(404)
    expect((await fetch(`${harness.url}/api/deliveries?status=bogus`, { headers: ADMIN })).status).to.equal(400)
    const byStatus = (await (await fetch(`${harness.url}/api/deliveries?status=pending&output=hook`, { headers: ADMIN })).json()) as {
      deliveries: any[]
    }
    expect(byStatus.deliveries.every((d) => d.status === 'pending' && d.output === 'hook')).to.equal(true)
  })

  it('records an unchanged rescan with the scan it matched as its base, and no diff', async () => {
    const first = await postScan(harness.url, aquaScan('rescan-test:1'))
    const again = await postScan(harness.url, aquaScan('rescan-test:1'))
    expect([first.json.outcome, again.json.outcome]).to.deep.equal(['new', 'unchanged'])
    const firstRecord = (await (await fetch(`${harness.url}/api/scans/${first.json.id}`, { headers: ADMIN })).json()) as Record<string, any>
    const record = (await (await fetch(`${harness.url}/api/scans/${again.json.id}`, { headers: ADMIN })).json()) as Record<string, any>
    expect(record).to.deep.include({ outcome: 'unchanged', base: { digest: firstRecord.digest, scanId: first.json.id }, diff: null })
    // A third identical POST still matches the first: an unchanged rescan stores no findings of its own.
    const third = await postScan(harness.url, aquaScan('rescan-test:1'))
    const thirdRecord = (await (await fetch(`${harness.url}/api/scans/${third.json.id}`, { headers: ADMIN })).json()) as Record<string, any>
    expect(thirdRecord.base).to.deep.equal({ digest: firstRecord.digest, scanId: first.json.id })
  })

  it('honours ?limit= on /api/deliveries, from 1 to 1000', async () => {
    for (let i = 0; i < 3; i++) await postScan(harness.url, aquaScan(`limit-test:${i}`))
    const all = (await (await fetch(`${harness.url}/api/deliveries`, { headers: ADMIN })).json()) as { deliveries: any[] }
    expect(all.deliveries.length).to.be.at.least(3)
    const two = (await (await fetch(`${harness.url}/api/deliveries?limit=2`, { headers: ADMIN })).json()) as { deliveries: any[] }
    expect(two.deliveries.map((d) => d.id)).to.deep.equal(all.deliveries.slice(0, 2).map((d) => d.id))
    expect(
      ((await (await fetch(`${harness.url}/api/deliveries?limit=1000`, { headers: ADMIN })).json()) as { deliveries: any[] }).deliveries,
    ).to.have.length(all.deliveries.length)
    for (const bad of ['0', '1001', 'ten', '2.5', '-1', '']) {
      const response = await fetch(`${harness.url}/api/deliveries?limit=${bad}`, { headers: ADMIN })
      expect(response.status, bad).to.equal(400)
      expect(((await response.json()) as { error: string }).error).to.equal('limit must be a whole number from 1 to 1000 (default 500)')
    }
  })

  it('answers /ping, /healthz, /readyz and /metrics', async () => {
    expect(await (await fetch(`${harness.url}/ping`)).text()).to.equal('Postee alive!')
    expect((await fetch(`${harness.url}/healthz`)).status).to.equal(200)
    const ready = await fetch(`${harness.url}/readyz`)
    expect(ready.status).to.equal(200)
    expect(await ready.json()).to.deep.equal({ postgres: 'ok', redis: 'ok' })
    const metrics = await (await fetch(`${harness.url}/metrics`)).text()
    expect(metrics).to.match(/postee_scans_received_total\{outcome="new"\} \d+/)
  })

  describe('the memory budget (POSTEE_INGEST_BODY_BUDGET_MB)', () => {
    let small: Awaited<ReturnType<typeof serve>>
    before(async () => {
      small = await serve({ db, redisUrl: testRedis.url, prefix: testRedis.prefix, config, bodyBudgetBytes: 20_000 })
    })
    after(async () => small?.close())

    it('a body larger than the budget (below Max-Body-Size) → 413 naming the budget and the heap limit', async () => {
      const answer = await postScan(small.url, `{"image":"x","registry":"r","pad":"${'a'.repeat(30_000)}"}`)
      expect(answer.status).to.equal(413)
      expect(answer.json.error).to.match(/larger than 20000 bytes.*POSTEE_INGEST_BODY_BUDGET_MB.*max-old-space-size/)
    })

    it('bodies beyond the budget while another is in flight → 503 with Retry-After; admitted again once it is done', async () => {
      // A sender that has announced 12,000 bytes and sent only part of them holds 12,000 of the budget.
      const body = Buffer.from(aquaScan('budget:1').padEnd(12_000, ' '))
      const { port } = new URL(small.url)
      const socket = connect(Number(port), '127.0.0.1')
      const answered = new Promise<string>((resolve) => {
        let text = ''
        socket.on('data', (chunk) => (text += chunk.toString()))
        socket.on('close', () => resolve(text))
      })
      socket.write(
        `POST /scan HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`,
      )
      socket.write(body.subarray(0, 100))
      await new Promise((resolve) => setTimeout(resolve, 200))
      const refused = await fetch(`${small.url}/scan`, { method: 'POST', body: aquaScan('budget:2').padEnd(9_000, ' ') })
      expect(refused.status).to.equal(503)
      expect(refused.headers.get('retry-after')).to.equal('5')
      expect(((await refused.json()) as { error: string }).error).to.match(/busy.*nothing was stored, retry/)
      // Small bodies still fit beside it.
      expect((await postScan(small.url, aquaScan('budget:3'))).status).to.equal(202)
      socket.write(body.subarray(100))
      expect(await answered).to.match(/^HTTP\/1.1 202/)
      expect((await postScan(small.url, aquaScan('budget:2').padEnd(9_000, ' '))).status).to.equal(202)
    })
  })

  describe('with an ingest token configured', () => {
    let guarded: Awaited<ReturnType<typeof serve>>
    before(async () => {
      guarded = await serve({ db, redisUrl: testRedis.url, prefix: testRedis.prefix, config, tokens: ['old-token', 'new-token'] })
    })
    after(async () => guarded?.close())

    it('refuses scans and API calls without a valid token', async () => {
      expect((await postScan(guarded.url, aquaScan('auth:1'))).status).to.equal(401)
      expect((await postScan(guarded.url, aquaScan('auth:1'), { authorization: 'Bearer wrong' })).status).to.equal(401)
      expect((await fetch(`${guarded.url}/api/deliveries`)).status).to.equal(401)
    })

    it('refuses an ingest token on the API (403): scan senders may only post scans', async () => {
      const answer = await fetch(`${guarded.url}/api/deliveries`, { headers: { authorization: 'Bearer new-token' } })
      expect(answer.status).to.equal(403)
      expect(((await answer.json()) as { error: string }).error).to.match(/ingest token.*only post scans/)
    })

    it('accepts each token in each form: Bearer, X-Postee-Token, ?token=', async () => {
      expect((await postScan(guarded.url, aquaScan('auth:2'), { authorization: 'Bearer old-token' })).status).to.equal(202)
      expect((await postScan(guarded.url, aquaScan('auth:3'), { 'x-postee-token': 'new-token' })).status).to.equal(202)
      const query = await fetch(`${guarded.url}/scan?token=new-token`, { method: 'POST', body: aquaScan('auth:4') })
      expect(query.status).to.equal(202)
      expect((await fetch(`${guarded.url}/api/deliveries`, { headers: ADMIN })).status).to.equal(200)
    })

    it('leaves /ping, /healthz, /readyz and /metrics open', async () => {
      for (const path of ['/ping', '/healthz', '/readyz', '/metrics']) expect((await fetch(`${guarded.url}${path}`)).status).to.equal(200)
    })
  })

  describe('when Redis is down', () => {
    let offline: Awaited<ReturnType<typeof serve>>
    before(async () => {
      offline = await serve({ db, redisUrl: 'redis://127.0.0.1:1', prefix: testRedis.prefix, config })
    })
    after(async () => offline?.close())

    it('still commits and answers 202; the deliveries stay pending; /readyz names Redis', async () => {
      const answer = await postScan(offline.url, aquaScan('redis-down:1'))
      expect(answer.status).to.equal(202)
      const row = await db.selectFrom('deliveries').selectAll().where('scan_id', '=', answer.json.id).executeTakeFirstOrThrow()
      expect(row.status).to.equal('pending')
      expect(row.enqueued_at).to.equal(null)
      const ready = await fetch(`${offline.url}/readyz`)
      expect(ready.status).to.equal(503)
      expect(await ready.json()).to.deep.equal({ postgres: 'ok', redis: 'down' })
    })

    it('the relay enqueues the committed deliveries once Redis answers, exactly once', async () => {
      const answer = await postScan(offline.url, aquaScan('redis-down:2'))
      const deliveryId = answer.json.deliveries[0].id
      const relaySettings = { unqueuedAfterMs: 0, requeueAfterMs: 60_000, batchSize: 100 }
      expect(await relayPendingDeliveries(db, harness.queues, relaySettings)).to.be.greaterThan(0)
      expect(await relayPendingDeliveries(db, harness.queues, relaySettings)).to.equal(0)
      const queue = new Queue(deliveryQueueName('hook'), { connection: harness.redis, prefix: testRedis.prefix })
      expect((await queue.getJob(deliveryId))?.id).to.equal(deliveryId)
      await queue.close()
    })
  })

  describe('when Postgres is down', () => {
    let noDb: Awaited<ReturnType<typeof serve>>
    let deadDb: Kysely<Database>
    before(async () => {
      deadDb = openDatabase('postgres://postgres@127.0.0.1:1/none')
      noDb = await serve({ db: deadDb, redisUrl: testRedis.url, prefix: testRedis.prefix, config })
    })
    after(async () => {
      await noDb?.close()
      await deadDb?.destroy()
    })

    it('answers 503 with Retry-After, and /readyz names Postgres', async () => {
      const response = await fetch(`${noDb.url}/scan`, { method: 'POST', body: aquaScan('pg-down:1') })
      expect(response.status).to.equal(503)
      expect(response.headers.get('retry-after')).to.equal('5')
      expect(((await response.json()) as { error: string }).error).to.match(/could not be stored.*retry/)
      const ready = await fetch(`${noDb.url}/readyz`)
      expect(ready.status).to.equal(503)
      expect(await ready.json()).to.deep.equal({ postgres: 'down', redis: 'ok' })
    })
  })
})
