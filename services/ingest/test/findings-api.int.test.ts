import type { Server } from 'node:http'
import { expect } from 'chai'
import { Redis } from 'ioredis'
import { sql } from 'kysely'
import { Secret, parseConfig } from '@postee/shared'
import { DeliveryQueues, createLogger, openDatabase } from '@postee/store'
import { TEST_ADMIN_TOKEN, adminFetch, createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@postee/testkit'
import { createApp } from '../src/app.js'
import { createIngestMetrics } from '../src/metrics.js'

const INGEST_TOKEN = 'findings-ingest-token'
const CONFIG = `
- name: hook
  type: webhook
  enable: true
  url: http://127.0.0.1:9/hook
`

function aquaScan(image: string, digest: string, vulnerabilities: [string, string, string?][]): string {
  return JSON.stringify({
    image,
    registry: 'reg.example.com',
    digest,
    resources: [
      {
        resource: { name: 'zlib', version: '1.2' },
        vulnerabilities: vulnerabilities.map(([name, severity, fix]) => ({ name, aqua_severity: severity, fix_version: fix ?? '' })),
      },
    ],
  })
}

interface FindingJson {
  registry: string
  image: string
  resource: string
  resourceVersion: string
  vulnerability: string
  severity: string
  fixVersion: string
  state: string
  firstSeen: string
  lastSeen: string
  fixedAt: string | null
  timesReopened: number
}

describe('GET /api/findings (in process, real Postgres and Redis)', function () {
  let database: TestDatabase
  let testRedis: TestRedis
  let redis: Redis
  let queues: DeliveryQueues
  let db: ReturnType<typeof openDatabase>
  let server: Server
  let url: string
  const get = async (query: string) => {
    const response = await adminFetch(`${url}/api/findings${query}`)
    return { status: response.status, json: (await response.json()) as { findings: FindingJson[]; next?: string; error?: string } }
  }
  const post = async (body: string) => {
    const response = await fetch(`${url}/scan`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` },
    })
    expect(response.status).to.equal(202)
  }

  before(async () => {
    database = await createTestDatabase()
    testRedis = await createTestRedis()
    db = openDatabase(database.url)
    redis = new Redis(testRedis.url, { maxRetriesPerRequest: 1 })
    queues = new DeliveryQueues(redis, testRedis.prefix)
    const config = parseConfig(CONFIG, {})
    const credentials = { tokens: [new Secret(INGEST_TOKEN)], hmacSecrets: [], adminTokens: [new Secret(TEST_ADMIN_TOKEN)] }
    const app = createApp({
      db,
      queues,
      config: () => config,
      log: createLogger('findings-test', 'silent'),
      metrics: createIngestMetrics(),
      enqueueTimeoutMs: 1_000,
      credentials: () => credentials,
      ready: async () => ({
        postgres: await sql`select 1`.execute(db).then(
          () => true,
          () => false,
        ),
        redis: true,
      }),
    })
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s))
    })
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
    await post(
      aquaScan('team/api:1', 'sha256:aa', [
        ['CVE-1', 'critical', '1.3'],
        ['CVE-2', 'low'],
      ]),
    )
    await post(
      aquaScan('team/api:1', 'sha256:bb', [
        ['CVE-2', 'low'],
        ['CVE-3', 'high', '1.4'],
      ]),
    )
    await post(aquaScan('other/web:7', 'sha256:cc', [['CVE-2', 'medium']]))
  })
  after(async () => {
    server?.closeAllConnections()
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
    await queues?.close().catch(() => undefined)
    redis?.disconnect()
    await db?.destroy()
    await testRedis?.cleanup()
    await database?.drop()
  })

  it('answers every finding of every image with its lifecycle', async () => {
    const { status, json } = await get('')
    expect(status).to.equal(200)
    expect(json.next).to.equal(undefined)
    expect(json.findings.map((f) => `${f.image} ${f.vulnerability} ${f.state}`)).to.deep.equal([
      'team/api:1 CVE-1 fixed',
      'team/api:1 CVE-2 open',
      'team/api:1 CVE-3 open',
      'other/web:7 CVE-2 open',
    ])
    const fixed = json.findings[0]!
    expect(fixed).to.deep.include({
      registry: 'reg.example.com',
      image: 'team/api:1',
      resource: 'zlib',
      resourceVersion: '1.2',
      vulnerability: 'CVE-1',
      severity: 'critical',
      fixVersion: '1.3',
      state: 'fixed',
      timesReopened: 0,
    })
    expect(new Date(fixed.fixedAt!).getTime()).to.be.at.least(new Date(fixed.lastSeen).getTime())
    expect(new Date(fixed.firstSeen).getTime()).to.equal(new Date(fixed.lastSeen).getTime())
  })

  it('filters by registry, image, state and vulnerability', async () => {
    const names = async (query: string) => (await get(query)).json.findings.map((f) => `${f.image} ${f.vulnerability}`)
    expect(await names('?image=team/api:1&state=open')).to.deep.equal(['team/api:1 CVE-2', 'team/api:1 CVE-3'])
    expect(await names('?state=fixed')).to.deep.equal(['team/api:1 CVE-1'])
    expect(await names('?vulnerability=CVE-2')).to.deep.equal(['team/api:1 CVE-2', 'other/web:7 CVE-2'])
    expect(await names('?registry=reg.example.com&image=other/web:7')).to.deep.equal(['other/web:7 CVE-2'])
    expect(await names('?registry=elsewhere')).to.deep.equal([])
  })

  it('pages with limit and the cursor it returns', async () => {
    const seen: string[] = []
    let query = '?limit=3'
    for (;;) {
      const { status, json } = await get(query)
      expect(status).to.equal(200)
      seen.push(...json.findings.map((f) => `${f.image} ${f.vulnerability}`))
      if (!json.next) break
      query = `?limit=3&cursor=${encodeURIComponent(json.next)}`
    }
    expect(seen).to.deep.equal(['team/api:1 CVE-1', 'team/api:1 CVE-2', 'team/api:1 CVE-3', 'other/web:7 CVE-2'])
  })

  it('refuses bad parameters with a 400 that names what is allowed', async () => {
    const cases: [string, RegExp][] = [
      ['?limit=0', /limit must be a whole number from 1 to 1000 \(default 100\)/],
      ['?limit=1001', /from 1 to 1000/],
      ['?limit=ten', /from 1 to 1000/],
      ['?state=closed', /state must be one of open, fixed/],
      ['?cursor=abc', /cursor must be the `next` of a previous page/],
      ['?image=a&image=b', /image must be given once/],
    ]
    for (const [query, error] of cases) {
      const { status, json } = await get(query)
      expect(status, query).to.equal(400)
      expect(json.error, query).to.match(error)
    }
  })

  it('needs the admin token: none is 401, the ingest token 403', async () => {
    expect((await fetch(`${url}/api/findings`)).status).to.equal(401)
    const withIngest = await fetch(`${url}/api/findings`, { headers: { authorization: `Bearer ${INGEST_TOKEN}` } })
    expect(withIngest.status).to.equal(403)
  })
})
