import { expect } from 'chai'
import {
  DISPATCHER_ENTRY,
  HttpFake,
  TcpProxy,
  createTestDatabase,
  freePort,
  logLines,
  nonJsonStderr,
  readFixture,
  startOwnRedis,
  startProcess,
  startStack,
  timedFetch,
  waitFor,
  waitForHttp,
  writeConfig,
  type ServiceProcess,
} from '@postee/testkit'

function webhookItem(name: string, url: string, extra = ''): string {
  return `- name: ${name}\n  type: webhook\n  enable: true\n  url: ${url}/${name}\n  backoff: 100ms\n  backoff-max: 300ms\n  timeout: 5s\n${extra}`
}

function scanBody(image: string): string {
  const json = JSON.parse(readFixture('aqua-input.json').toString('utf8'))
  json.image = image
  return JSON.stringify(json)
}

async function startDispatcher(env: Record<string, string>): Promise<{ service: ServiceProcess; url: string }> {
  const port = await freePort()
  const service = startProcess(DISPATCHER_ENTRY, {
    AQUAALERT_TLS: 'off',
    POSTEE_LOG_LEVEL: 'info',
    POSTEE_DISPATCHER_HTTP: `127.0.0.1:${port}`,
    ...env,
  })
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(`${url}/healthz`, service)
  return { service, url }
}

/** /readyz several times: every answer within 2 s, and the same verdict. */
async function expectReadiness(url: string, expected: Record<string, string>, status: number): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const answer = await timedFetch(`${url}/readyz`)
    expect(answer.ms, 'answered within 2 s').to.be.lessThan(2_000)
    expect(answer.status).to.equal(status)
    expect(JSON.parse(answer.body)).to.deep.equal(expected)
  }
}

describe('dispatcher when Redis or Postgres is missing (real processes)', function () {
  this.timeout(120_000)

  it('started with both unreachable: stays up, /readyz 503 naming both within 2 s, logs where it looks, ready once they appear', async () => {
    const database = await createTestDatabase()
    const target = new URL(database.url)
    const proxy = await new TcpProxy(target.hostname, Number(target.port || 5432)).start()
    const redis = await startOwnRedis()
    await redis.stop()
    proxy.cut()
    const fake = await new HttpFake().start()
    target.host = `127.0.0.1:${proxy.port}`
    const { service, url } = await startDispatcher({
      AQUAALERT_CFG: writeConfig(webhookItem('hook', fake.url)),
      DATABASE_URL: target.toString(),
      REDIS_URL: redis.url,
      POSTEE_QUEUE_PREFIX: 'postee_faults_start',
    })
    try {
      expect((await timedFetch(`${url}/healthz`)).status).to.equal(200)
      await expectReadiness(url, { postgres: 'down', redis: 'down' }, 503)
      const waiting = (dependency: string) =>
        logLines(service).filter((line) => line.dependency === dependency && /^waiting for/.test(String(line.msg)))
      await waitFor(() => (waiting('postgres').length >= 2 && waiting('redis').length >= 2 ? true : undefined), {
        describe: () => service.output(),
      })
      expect(waiting('postgres')[0]).to.include({ variable: 'DATABASE_URL', host: `127.0.0.1:${proxy.port}` })
      expect(waiting('redis')[0]).to.include({ variable: 'REDIS_URL', host: new URL(redis.url).host })
      expect(service.child.exitCode).to.equal(null)

      await redis.start()
      await waitFor(async () => ((await timedFetch(`${url}/readyz`)).body.includes('"redis":"ok"') ? true : undefined), {
        describe: () => service.output(),
      })
      await expectReadiness(url, { postgres: 'down', redis: 'ok' }, 503)
      proxy.restore()
      await waitForHttp(`${url}/readyz`, service, 30_000)
      expect(nonJsonStderr(service), service.stderr()).to.deep.equal([])
    } finally {
      await service.stop('SIGTERM', 10_000)
      await fake.stop()
      await proxy.stop()
      await redis.stop()
      await database.drop()
    }
  })

  it('a port in use: one clear line, exit 1, and no "dispatcher started"', async () => {
    const { createServer } = await import('node:net')
    const blocker = createServer()
    const port = await freePort()
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve))
    try {
      const service = startProcess(DISPATCHER_ENTRY, {
        AQUAALERT_CFG: writeConfig(webhookItem('hook', 'http://127.0.0.1:1')),
        POSTEE_DISPATCHER_HTTP: `127.0.0.1:${port}`,
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
        REDIS_URL: 'redis://127.0.0.1:1',
      })
      expect(await service.exited).to.equal(1)
      expect(service.stderr().trim().split('\n')).to.deep.equal([
        `postee dispatcher: cannot listen on 127.0.0.1:${port} (POSTEE_DISPATCHER_HTTP): the address is already in use by another process; stop it or set POSTEE_DISPATCHER_HTTP to a free port`,
      ])
      expect(service.output()).not.to.include('dispatcher started')
    } finally {
      blocker.close()
    }
  })
})

describe('a Redis outage under a running stack', function () {
  this.timeout(120_000)

  it('/readyz answers 503 within 2 s, one log line per outage and one on recovery, no stack dumps, SIGTERM exits within the grace', async () => {
    const redis = await startOwnRedis()
    const fake = await new HttpFake().start()
    const stack = await startStack({
      config: webhookItem('outage', fake.url),
      env: {
        REDIS_URL: redis.url,
        POSTEE_LOG_LEVEL: 'info',
        POSTEE_RELAY_INTERVAL_MS: '300',
        POSTEE_RELAY_UNQUEUED_MS: '500',
        POSTEE_DRAIN_GRACE_MS: '2000',
      },
    })
    try {
      const [dispatcher] = stack.dispatchers
      const dispatcherUrl = stack.dispatcherUrls[0]!
      const ingestUrl = stack.ingestUrls[0]!
      await redis.stop()
      await expectReadiness(dispatcherUrl, { postgres: 'ok', redis: 'down' }, 503)
      await expectReadiness(ingestUrl, { postgres: 'ok', redis: 'down' }, 503)
      // Scans are still accepted (the relay queues them later), and the outage is logged once.
      const accepted = await fetch(`${ingestUrl}/scan`, {
        method: 'POST',
        body: scanBody('redis-down:1'),
        headers: { 'content-type': 'application/json' },
      })
      expect(accepted.status).to.equal(202)
      await new Promise((resolve) => setTimeout(resolve, 3_000))
      await redis.start()
      await waitFor(() => (dispatcher!.output().includes('redis is reachable again') ? true : undefined), {
        describe: () => dispatcher!.output(),
      })
      await fake.waitForRequests(1)
      for (const service of [dispatcher!, stack.ingests[0]!]) {
        const lost = logLines(service).filter((line) => /redis is unreachable/.test(String(line.msg)))
        expect(lost, service.output()).to.have.length(1)
        expect(lost[0]).to.include({ variable: 'REDIS_URL', level: 'warn' })
        expect(nonJsonStderr(service), service.stderr()).to.deep.equal([])
      }

      // Down again, then SIGTERM: the process still ends within the grace plus a few seconds.
      await redis.stop()
      await waitFor(
        () => (logLines(dispatcher!).filter((line) => /redis is unreachable/.test(String(line.msg))).length === 2 ? true : undefined),
        { describe: () => dispatcher!.output() },
      )
      const started = Date.now()
      await dispatcher!.stop('SIGTERM', 30_000)
      expect(Date.now() - started, dispatcher!.output()).to.be.lessThan(2_000 + 5_000)
      expect(dispatcher!.child.signalCode).to.equal(null)
      const ingestStarted = Date.now()
      await stack.ingests[0]!.stop('SIGTERM', 30_000)
      expect(Date.now() - ingestStarted).to.be.lessThan(2_000 + 5_000)
      expect(stack.ingests[0]!.child.signalCode).to.equal(null)
      expect(nonJsonStderr(dispatcher!), dispatcher!.stderr()).to.deep.equal([])
    } finally {
      await stack.stop()
      await fake.stop()
      await redis.stop()
    }
  })

  it('a job that vanished with a Redis restart is logged as such, not as a ledger failure, and is delivered again', async () => {
    const redis = await startOwnRedis()
    // The first answer is a slow 500: while it is in flight Redis restarts empty, so moving the
    // job to "delayed" for its retry finds no job.
    const fake = await new HttpFake((_request, index) =>
      index === 0 ? { status: 500, delayMs: 2_500 } : { status: 200, body: 'ok' },
    ).start()
    const stack = await startStack({
      config: webhookItem('vanish', fake.url),
      env: {
        REDIS_URL: redis.url,
        POSTEE_LOG_LEVEL: 'info',
        POSTEE_RELAY_INTERVAL_MS: '300',
        POSTEE_RELAY_UNQUEUED_MS: '500',
        POSTEE_RELAY_REQUEUE_MS: '3000',
      },
    })
    try {
      const posted = await fetch(`${stack.ingestUrls[0]}/scan`, {
        method: 'POST',
        body: scanBody('vanish:1'),
        headers: { 'content-type': 'application/json' },
      })
      expect(posted.status).to.equal(202)
      await fake.waitForRequests(1)
      await redis.stop()
      await redis.start()
      await fake.waitForRequests(2)
      const output = stack.dispatchers[0]!.output()
      expect(output).to.match(/vanished from Redis/)
      expect(output).not.to.include('could not record the outcome in the ledger')
      expect(nonJsonStderr(stack.dispatchers[0]!)).to.deep.equal([])
    } finally {
      await stack.stop()
      await fake.stop()
      await redis.stop()
    }
  })
})
