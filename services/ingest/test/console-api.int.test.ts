import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import express from 'express'
import { Redis } from 'ioredis'
import { sql } from 'kysely'
import { Secret, parseConfig } from '@postee/shared'
import { DeliveryQueues, createLogger, openDatabase } from '@postee/store'
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@postee/testkit'
import { createApp } from '../src/app.js'
import { consoleStatic } from '../src/http/console-static.js'
import { createIngestMetrics } from '../src/metrics.js'

const TOKEN = 'console-api-token'
const HOOK_URL = 'http://127.0.0.1:9/hook-with-key-in-path'
const CONFIG = `
- type: common
  Ingest-Token: ${TOKEN}
- name: hook
  type: webhook
  enable: true
  url: ${HOOK_URL}
- name: criticals
  type: webhook
  enable: true
  url: http://127.0.0.1:9/criticals
  Policy-Min-Vulnerability: critical
- name: off
  type: webhook
  enable: false
  url: http://127.0.0.1:9/off
`

async function listen(app: express.Express): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

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

describe('the console read API (/api/console) and the /ui/ files', function () {
  this.timeout(30_000)

  describe('serving /ui/', () => {
    let built: { url: string; close(): Promise<void> }
    let missing: { url: string; close(): Promise<void> }
    before(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'postee-console-dist-'))
      mkdirSync(join(dir, 'assets'))
      writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console index</title>')
      writeFileSync(join(dir, 'assets', 'app-1234.js'), 'console.log(1)')
      const app = express()
      app.use('/ui', consoleStatic(dir))
      built = await listen(app)
      const bare = express()
      bare.use('/ui', consoleStatic(join(dir, 'not-built')))
      missing = await listen(bare)
    })
    after(async () => {
      await built?.close()
      await missing?.close()
    })

    it('answers deep links with index.html and a strict CSP, nosniff and no referrer', async () => {
      for (const path of ['/ui/', '/ui', '/ui/scans/0b6f4f4e-2f5c-4a55-9a3d-3c9b0d3e6e11', '/ui/deliveries?status=dead&output=x']) {
        const response = await fetch(`${built.url}${path}`)
        expect(response.status, path).to.equal(200)
        expect(await response.text(), path).to.contain('console index')
        const csp = response.headers.get('content-security-policy')!
        expect(csp).to.contain("default-src 'self'")
        expect(csp).to.contain("script-src 'self'")
        expect(csp).not.to.contain('unsafe-inline')
        expect(csp).to.contain("frame-ancestors 'none'")
        expect(response.headers.get('x-content-type-options')).to.equal('nosniff')
        expect(response.headers.get('referrer-policy')).to.equal('no-referrer')
      }
    })

    it('serves hashed assets as immutable, and a missing asset is a 404, not index.html', async () => {
      const asset = await fetch(`${built.url}/ui/assets/app-1234.js`)
      expect(asset.status).to.equal(200)
      expect(asset.headers.get('cache-control')).to.contain('immutable')
      expect((await fetch(`${built.url}/ui/assets/gone-0000.js`)).status).to.equal(404)
    })

    it('without a built console, every /ui/ path is a 404 page that says to run pnpm build', async () => {
      const response = await fetch(`${missing.url}/ui/scans`)
      expect(response.status).to.equal(404)
      expect(response.headers.get('content-type')).to.contain('text/html')
      expect(await response.text()).to.contain('pnpm build')
    })
  })

  describe('the API, with Postgres and Redis', () => {
    let database: TestDatabase
    let redisTarget: TestRedis
    let redis: Redis
    let queues: DeliveryQueues
    let db: ReturnType<typeof openDatabase>
    let server: { url: string; close(): Promise<void> }
    const problems: string[] = []
    const ids: string[] = []
    const get = async (path: string, token = TOKEN) => {
      const response = await fetch(`${server.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })
      return { status: response.status, json: (await response.json()) as any }
    }
    const post = async (body: string) => {
      const response = await fetch(`${server.url}/scan`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      })
      expect(response.status).to.equal(202)
      return (await response.json()) as { id: string }
    }

    before(async () => {
      database = await createTestDatabase()
      redisTarget = await createTestRedis()
      db = openDatabase(database.url)
      redis = new Redis(redisTarget.url, { maxRetriesPerRequest: 1 })
      queues = new DeliveryQueues(redis, redisTarget.prefix)
      const config = parseConfig(CONFIG, {})
      // With scoped tokens the admin token guards /api; the same value serves as both here.
      const credentials = { tokens: [new Secret(TOKEN)], hmacSecrets: [], adminTokens: [new Secret(TOKEN)] }
      const app = createApp({
        db,
        queues,
        config: () => config,
        log: createLogger('console-test', 'silent'),
        metrics: createIngestMetrics(),
        enqueueTimeoutMs: 1_000,
        credentials: () => credentials,
        checkConfig: () => Promise.resolve(problems),
        ready: async () => ({
          postgres: await sql`select 1`.execute(db).then(
            () => true,
            () => false,
          ),
          redis: true,
        }),
      })
      server = await listen(app)
      ids.push(
        (
          await post(
            aquaScan('team/api:1', 'sha256:aa', [
              ['CVE-1', 'critical', '1.3'],
              ['CVE-2', 'low'],
            ]),
          )
        ).id,
      )
      ids.push(
        (
          await post(
            aquaScan('team/api:1', 'sha256:bb', [
              ['CVE-2', 'low'],
              ['CVE-3', 'high', '1.4'],
            ]),
          )
        ).id,
      )
      ids.push((await post(aquaScan('other/web:7', 'sha256:cc', [['CVE-9', 'medium']]))).id)
    })
    after(async () => {
      await server?.close()
      await queues?.close().catch(() => undefined)
      redis?.disconnect()
      await db?.destroy()
      await redisTarget?.cleanup()
      await database?.drop()
    })

    it('is behind the API token, like the rest of /api', async () => {
      for (const path of [
        '/api/console/session',
        '/api/console/overview',
        '/api/console/scans',
        `/api/console/scans/${ids[0]}`,
        '/api/console/config',
      ]) {
        expect((await get(path, '')).status, path).to.equal(401)
        expect((await get(path, 'wrong')).status, path).to.equal(401)
      }
      expect(await get('/api/console/session')).to.deep.equal({ status: 200, json: { ok: true } })
    })

    it('overview: the last 24 h by outcome, by status and per output, with the queue depth and 25 hourly points', async () => {
      const { status, json } = await get('/api/console/overview')
      expect(status).to.equal(200)
      expect(json.scans).to.deep.equal({ new: 2, changed: 1, unchanged: 0, total: 3 })
      // hook takes all three; criticals only the first (the only scan with a critical).
      expect(json.deliveries.total).to.equal(4)
      expect(json.deliveries.pending).to.equal(4)
      const byName = Object.fromEntries(json.outputs.map((o: any) => [o.output, o]))
      expect(Object.keys(byName)).to.deep.equal(['criticals', 'hook'])
      expect(byName.hook).to.include({ kind: 'webhook', enabled: true, sent: 0, failed: 0, dead: 0, inFlight: 3 })
      expect(byName.hook.queue).to.deep.equal({ waiting: 3, delayed: 0, active: 0 })
      expect(new Date(byName.hook.oldestWaitingAt).getTime()).to.be.lessThanOrEqual(Date.now())
      expect(json.hourly).to.have.length(25)
      expect(json.hourly.reduce((sum: number, h: any) => sum + h.scans, 0)).to.equal(3)
      expect(json.hourly.reduce((sum: number, h: any) => sum + h.deliveries, 0)).to.equal(4)
    })

    it('overview: sent counts, latency and the last error come from the ledger', async () => {
      await db
        .updateTable('deliveries')
        .set({ status: 'sent', sent_at: sql`created_at + interval '1500 milliseconds'` })
        .where('output', '=', 'criticals')
        .execute()
      await db
        .updateTable('deliveries')
        .set({ status: 'dead', last_error: 'HTTP 500: down' })
        .where('scan_id', '=', ids[2]!)
        .where('output', '=', 'hook')
        .execute()
      const { json } = await get('/api/console/overview')
      const byName = Object.fromEntries(json.outputs.map((o: any) => [o.output, o]))
      expect(byName.criticals).to.include({ sent: 1, inFlight: 0 })
      expect(byName.hook).to.include({ dead: 1, inFlight: 2 })
      expect(byName.hook.lastError.message).to.equal('HTTP 500: down')
      expect(json.hourly.find((h: any) => h.sent === 1).latencyMs).to.equal(1500)
    })

    it('scans: searches by image (a part, any case), registry, outcome and time, newest first, paged', async () => {
      const all = (await get('/api/console/scans')).json
      expect(all.total).to.equal(3)
      expect(all.scans.map((s: any) => s.id)).to.deep.equal([...ids].reverse())
      expect((await get('/api/console/scans?image=API')).json.scans.map((s: any) => s.id)).to.deep.equal([ids[1], ids[0]])
      expect((await get('/api/console/scans?outcome=changed')).json.scans.map((s: any) => s.id)).to.deep.equal([ids[1]])
      expect((await get('/api/console/scans?registry=nomatch')).json.total).to.equal(0)
      expect((await get(`/api/console/scans?from=${new Date(Date.now() + 60_000).toISOString()}`)).json.total).to.equal(0)
      const page2 = (await get('/api/console/scans?pageSize=2&page=2')).json
      expect(page2).to.include({ total: 3, page: 2, pageSize: 2 })
      expect(page2.scans.map((s: any) => s.id)).to.deep.equal([ids[0]])
      const changed = all.scans.find((s: any) => s.id === ids[1])
      expect(changed).to.include({ outcome: 'changed', added: 1, fixed: 1 })
      expect(changed.deliveries).to.deep.equal({ pending: 1 })
      expect((await get('/api/console/scans?image=%25')).json.total, 'a % is a literal').to.equal(0)
    })

    it('scans: refuses bad filters with a message that says what to send', async () => {
      for (const [query, words] of [
        ['outcome=gone', 'outcome must be one of'],
        ['from=yesterday', 'ISO 8601'],
        ['pageSize=1000', 'pageSize must be'],
        ['page=0', 'page must be'],
      ]) {
        const { status, json } = await get(`/api/console/scans?${query}`)
        expect(status, query).to.equal(400)
        expect(json.error, query).to.contain(words)
      }
    })

    it('scan detail: counts, the diff, findings, deliveries, and why each enabled integration sent or skipped it', async () => {
      const { status, json } = await get(`/api/console/scans/${ids[1]}`)
      expect(status).to.equal(200)
      expect(json.scan).to.include({ id: ids[1], outcome: 'changed', image: 'team/api:1' })
      expect(json.counts).to.include({ critical: 0, high: 1, low: 1 })
      expect(json.diff.added.map((f: any) => f.vulnerability)).to.deep.equal(['CVE-3'])
      expect(json.diff.fixed.map((f: any) => f.vulnerability)).to.deep.equal(['CVE-1'])
      expect(json.findings.map((f: any) => [f.vulnerability, f.fixVersion])).to.have.deep.members([
        ['CVE-2', ''],
        ['CVE-3', '1.4'],
      ])
      expect(json.deliveries.map((d: any) => d.output)).to.deep.equal(['hook'])
      const byName = Object.fromEntries(json.integrations.map((i: any) => [i.name, i]))
      expect(Object.keys(byName)).to.deep.equal(['hook', 'criticals'])
      expect(byName.hook).to.include({ send: true, kind: 'webhook' })
      expect(byName.hook.deliveries).to.deep.equal([json.deliveries[0].id])
      expect(JSON.parse(byName.hook.preview.body).digest).to.equal('sha256:bb')
      expect(byName.criticals).to.include({ send: false, key: 'Policy-Min-Vulnerability', preview: null })
      expect(byName.criticals.reason).to.be.a('string').and.not.empty
    })

    it('scan detail: 404 for an unknown or malformed id', async () => {
      expect((await get('/api/console/scans/00000000-0000-0000-0000-000000000000')).status).to.equal(404)
      expect((await get('/api/console/scans/not-a-uuid')).status).to.equal(404)
    })

    it('config: the running config with every secret masked, its notices, and the problems of the file on disk', async () => {
      const { status, json } = await get('/api/console/config')
      expect(status).to.equal(200)
      const text = JSON.stringify(json)
      expect(text).not.to.contain(TOKEN)
      expect(text).not.to.contain('hook-with-key-in-path')
      expect(json.config.integrations.map((i: any) => i.name)).to.deep.equal(['hook', 'criticals', 'off'])
      expect(json.config.integrations[0].url).to.equal('<secret>')
      expect(json.config.common.ingestTokens).to.deep.equal(['<secret>'])
      expect(json.fileProblems).to.deep.equal([])
      problems.push('hook › url: must be an http(s) URL')
      expect((await get('/api/console/config')).json.fileProblems).to.deep.equal(['hook › url: must be an http(s) URL'])
    })
  })
})
