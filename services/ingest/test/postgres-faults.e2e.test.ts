import { expect } from 'chai'
import {
  HttpFake,
  INGEST_ENTRY,
  TcpProxy,
  createTestDatabase,
  createTestRedis,
  freePort,
  logLines,
  nonJsonStderr,
  readFixture,
  startOwnRedis,
  startProcess,
  TEST_ADMIN_TOKEN,
  ADMIN_HEADERS,
  timedFetch,
  waitFor,
  waitForHttp,
  writeConfig,
  type ServiceProcess,
  type TestDatabase,
  type TestRedis,
} from '@postee/testkit'

function scanBody(image: string): string {
  const json = JSON.parse(readFixture('aqua-input.json').toString('utf8'))
  json.image = image
  return JSON.stringify(json)
}

const postScan = (url: string, image: string) =>
  timedFetch(`${url}/scan`, { method: 'POST', body: scanBody(image), headers: { 'content-type': 'application/json' } })

/** Ingest as a process whose DATABASE_URL goes through `proxy`. */
async function startIngest(
  database: TestDatabase,
  proxy: TcpProxy,
  env: Record<string, string>,
): Promise<{ service: ServiceProcess; url: string }> {
  const port = await freePort()
  const viaProxy = new URL(database.url)
  viaProxy.host = `127.0.0.1:${proxy.port}`
  const service = startProcess(INGEST_ENTRY, {
    DATABASE_URL: viaProxy.toString(),
    AQUAALERT_URL: `127.0.0.1:${port}`,
    AQUAALERT_TLS: 'off',
    POSTEE_LOG_LEVEL: 'info',
    POSTEE_RELAY_INTERVAL_MS: '500',
    POSTEE_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    ...env,
  })
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(`${url}/healthz`, service)
  return { service, url }
}

function proxyTo(database: TestDatabase): TcpProxy {
  const target = new URL(database.url)
  return new TcpProxy(target.hostname, Number(target.port || 5432))
}

describe('ingest when Postgres fails (a process behind a TCP proxy the test owns)', function () {
  this.timeout(120_000)
  let database: TestDatabase
  let redis: TestRedis
  let fake: HttpFake
  let config: string

  before(async () => {
    database = await createTestDatabase()
    redis = await createTestRedis()
    fake = await new HttpFake().start()
    config = writeConfig(`- name: hook\n  type: webhook\n  enable: true\n  url: ${fake.url}/hook\n`)
  })
  after(async () => {
    await fake?.stop()
    await redis?.cleanup()
    await database?.drop()
  })

  const baseEnv = () => ({ AQUAALERT_CFG: config, REDIS_URL: redis.url, POSTEE_QUEUE_PREFIX: redis.prefix, POSTEE_MIGRATE: 'off' })

  it('connections dropped mid-traffic: stays up, answers 503 + Retry-After within 5 s, then 202 again', async () => {
    const proxy = await proxyTo(database).start()
    const { service, url } = await startIngest(database, proxy, baseEnv())
    try {
      await waitForHttp(`${url}/readyz`, service)
      const answers: { status: number; retryAfter: string | null; ms: number; during: boolean }[] = []
      let phase: 'before' | 'cut' | 'after' = 'before'
      let running = true
      let n = 0
      const sender = async () => {
        while (running && service.child.exitCode === null) {
          const during = phase === 'cut'
          const answer = await postScan(url, `pg-cut:${n++}`)
          answers.push({ ...answer, during })
        }
      }
      const senders = [sender(), sender(), sender()]
      await waitFor(() => (answers.filter((a) => a.status === 202).length >= 3 ? true : undefined), {
        describe: () => `${JSON.stringify(answers.slice(-10))}\n${service.output().slice(-3000)}`,
      })
      phase = 'cut'
      proxy.cut()
      await waitFor(() => (answers.filter((a) => a.during && a.status === 503).length >= 3 ? true : undefined), {
        describe: () => `${JSON.stringify(answers.slice(-10))}\n${service.output().slice(-3000)}`,
      })
      await waitFor(() => (service.output().includes('postgres is unreachable') ? true : undefined), { describe: () => service.output() })
      phase = 'after'
      proxy.restore()
      const healed = answers.length
      await waitFor(() => (answers.slice(healed).some((a) => a.status === 202) ? true : undefined), {
        describe: () => `${JSON.stringify(answers.slice(-10))}\n${service.output().slice(-3000)}`,
      })
      running = false
      await Promise.all(senders)

      expect(service.child.exitCode, service.output()).to.equal(null)
      expect(new Set(answers.map((a) => a.status))).to.satisfy((statuses: Set<number>) =>
        [...statuses].every((s) => s === 202 || s === 503),
      )
      for (const answer of answers.filter((a) => a.status === 503)) {
        expect(answer.retryAfter).to.match(/^\d+$/)
        expect(answer.ms).to.be.lessThan(5_000)
      }
      const lost = logLines(service).filter((line) => /postgres is unreachable/.test(String(line.msg)))
      expect(lost, service.output()).to.have.length(1)
      expect(lost[0]).to.include({ variable: 'DATABASE_URL', host: `127.0.0.1:${proxy.port}`, level: 'warn' })
      expect(logLines(service).some((line) => /postgres is reachable again/.test(String(line.msg)))).to.equal(true)
      expect(nonJsonStderr(service)).to.deep.equal([])
    } finally {
      await service.stop('SIGTERM', 10_000)
      await proxy.stop()
    }
  })

  it('partitioned (connections held, nothing answered): 503 within 5 s, /readyz within 2 s, recovery after healing', async () => {
    const proxy = await proxyTo(database).start()
    const { service, url } = await startIngest(database, proxy, baseEnv())
    try {
      await waitForHttp(`${url}/readyz`, service)
      expect((await postScan(url, 'pg-hold:0')).status).to.equal(202)
      proxy.partition()
      const held = await Promise.all([postScan(url, 'pg-hold:1'), postScan(url, 'pg-hold:2')])
      for (const answer of held) {
        expect(answer.status, answer.body).to.equal(503)
        expect(answer.retryAfter).to.match(/^\d+$/)
        expect(answer.ms).to.be.lessThan(5_000)
      }
      const again = await postScan(url, 'pg-hold:3')
      expect(again.status).to.equal(503)
      expect(again.ms).to.be.lessThan(5_000)
      const ready = await timedFetch(`${url}/readyz`)
      expect(ready.ms).to.be.lessThan(2_000)
      expect(ready.status).to.equal(503)
      expect(JSON.parse(ready.body)).to.include({ postgres: 'down' })
      const api = await timedFetch(`${url}/api/deliveries`, { headers: ADMIN_HEADERS })
      expect(api.status).to.equal(503)
      expect(api.retryAfter).to.match(/^\d+$/)
      proxy.restore()
      await waitFor(async () => ((await postScan(url, `pg-hold:healed:${Date.now()}`)).status === 202 ? true : undefined), {
        describe: () => service.output(),
      })
      await waitForHttp(`${url}/readyz`, service)
      expect(service.child.exitCode, service.output()).to.equal(null)
      expect(nonJsonStderr(service)).to.deep.equal([])
      // Still exits cleanly on SIGTERM.
      expect(await service.stop('SIGTERM', 15_000)).to.equal(0)
    } finally {
      await service.stop('SIGKILL')
      await proxy.stop()
    }
  })

  it('started while Postgres and Redis are unreachable: waits, says what it waits for, and becomes ready when they appear', async () => {
    const fresh = await createTestDatabase()
    const proxy = await proxyTo(fresh).start()
    const ownRedis = await startOwnRedis()
    await ownRedis.stop()
    proxy.cut()
    const { service, url } = await startIngest(fresh, proxy, { ...baseEnv(), REDIS_URL: ownRedis.url, POSTEE_MIGRATE: 'auto' })
    try {
      const ready = await timedFetch(`${url}/readyz`)
      expect(ready.ms).to.be.lessThan(2_000)
      expect(ready.status).to.equal(503)
      expect(JSON.parse(ready.body)).to.deep.equal({ postgres: 'down', redis: 'down' })
      expect((await timedFetch(`${url}/healthz`)).status).to.equal(200)
      const scan = await postScan(url, 'pg-start:0')
      expect(scan.status).to.equal(503)
      expect(scan.retryAfter).to.match(/^\d+$/)
      const waiting = (dependency: string) =>
        logLines(service).filter((line) => line.dependency === dependency && /^waiting for/.test(String(line.msg)))
      await waitFor(() => (waiting('postgres').length >= 2 && waiting('redis').length >= 2 ? true : undefined), {
        describe: () => service.output(),
        timeoutMs: 30_000,
      })
      expect(waiting('postgres')[0]).to.include({ variable: 'DATABASE_URL', host: `127.0.0.1:${proxy.port}` })
      expect(waiting('redis')[0]).to.include({ variable: 'REDIS_URL', host: new URL(ownRedis.url).host })
      expect(service.output()).not.to.match(/postgres:\/\//)

      proxy.restore()
      await ownRedis.start()
      await waitForHttp(`${url}/readyz`, service, 30_000)
      expect(logLines(service).some((line) => line.msg === 'migrations up to date')).to.equal(true)
      expect((await postScan(url, 'pg-start:1')).status).to.equal(202)
      expect(nonJsonStderr(service)).to.deep.equal([])
    } finally {
      await service.stop('SIGTERM', 10_000)
      await proxy.stop()
      await ownRedis.stop()
      await fresh.drop()
    }
  })
})

describe('ingest start-up errors that must not wait', function () {
  this.timeout(60_000)

  it('a listen address in use: one clear line on stderr and exit 1', async () => {
    const { createServer } = await import('node:net')
    const blocker = createServer()
    const port = await freePort()
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve))
    try {
      const config = writeConfig('- name: hook\n  type: webhook\n  enable: true\n  url: http://127.0.0.1:1/hook\n')
      const service = startProcess(INGEST_ENTRY, {
        AQUAALERT_CFG: config,
        AQUAALERT_URL: `127.0.0.1:${port}`,
        AQUAALERT_TLS: 'off',
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
        REDIS_URL: 'redis://127.0.0.1:1',
        POSTEE_MIGRATE: 'off',
      })
      expect(await service.exited).to.equal(1)
      const stderr = service.stderr().trim().split('\n')
      expect(stderr).to.deep.equal([
        `postee ingest: cannot listen on 127.0.0.1:${port} (AQUAALERT_URL): the address is already in use by another process; stop it or set AQUAALERT_URL to a free port`,
      ])
    } finally {
      blocker.close()
    }
  })

  it('a listen address this machine does not have: one clear line on stderr and exit 1', async () => {
    const config = writeConfig('- name: hook\n  type: webhook\n  enable: true\n  url: http://127.0.0.1:1/hook\n')
    // 192.0.2.0/24 is reserved for documentation: no machine has it.
    const service = startProcess(INGEST_ENTRY, {
      AQUAALERT_CFG: config,
      AQUAALERT_URL: '192.0.2.1:8082',
      AQUAALERT_TLS: 'off',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
      REDIS_URL: 'redis://127.0.0.1:1',
      POSTEE_MIGRATE: 'off',
    })
    expect(await service.exited).to.equal(1)
    expect(service.stderr().trim().split('\n')).to.deep.equal([
      'postee ingest: cannot listen on 192.0.2.1:8082 (AQUAALERT_URL): no interface of this machine has that address; set AQUAALERT_URL to one of its addresses, or 0.0.0.0:<port> for all',
    ])
  })

  it('a DATABASE_URL of the wrong scheme: exits at once naming the variable', async () => {
    const config = writeConfig('- name: hook\n  type: webhook\n  enable: true\n  url: http://127.0.0.1:1/hook\n')
    const service = startProcess(INGEST_ENTRY, {
      AQUAALERT_CFG: config,
      AQUAALERT_URL: '127.0.0.1:0',
      AQUAALERT_TLS: 'off',
      DATABASE_URL: 'mysql://user:hunter2@db/x',
    })
    expect(await service.exited).to.equal(1)
    expect(service.stderr())
      .to.match(/DATABASE_URL/)
      .and.not.match(/hunter2/)
  })
})
