import { expect } from 'chai'
import {
  HttpFake,
  adminFetch,
  readFixture,
  startOwnRedis,
  startStack,
  waitFor,
  type FakeResponse,
  type ServiceProcess,
  type Stack,
} from '@postee/testkit'

/** A fake that answers its requests in order from a script; the last answer repeats. */
function scripted(...answers: FakeResponse[]): HttpFake {
  return new HttpFake((_request, index) => answers[Math.min(index, answers.length - 1)]!)
}

const ok: FakeResponse = { status: 200, body: 'ok' }

function webhookItem(name: string, url: string, extra = '', timeout = '1s'): string {
  return `- name: ${name}\n  type: webhook\n  enable: true\n  url: ${url}/${name}\n  backoff: 100ms\n  backoff-max: 300ms\n  timeout: ${timeout}\n${extra}`
}

function scanBody(image: string): string {
  const json = JSON.parse(readFixture('aqua-input.json').toString('utf8'))
  json.image = image
  return JSON.stringify(json)
}

async function post(url: string, body: string): Promise<{ status: number; json: any }> {
  const response = await fetch(`${url}/scan`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
  return { status: response.status, json: await response.json() }
}

async function deliveries(url: string, query = ''): Promise<any[]> {
  return ((await (await adminFetch(`${url}/api/deliveries?limit=1000${query}`)).json()) as { deliveries: any[] }).deliveries
}

/** Polls until `predicate` holds on the deliveries of `output`, or fails with what it saw. */
async function until(url: string, output: string, predicate: (rows: any[]) => boolean, timeoutMs = 20_000): Promise<any[]> {
  let seen: any[] = []
  try {
    return await waitFor(
      async () => {
        seen = await deliveries(url, `&output=${output}`)
        return predicate(seen) ? seen : undefined
      },
      { timeoutMs, intervalMs: 100, what: `the deliveries of ${output}` },
    )
  } catch (error) {
    throw new Error(`${(error as Error).message}; ${output}: ${JSON.stringify(seen.map((r) => [r.status, r.attempts, r.lastError]))}`, {
      cause: error,
    })
  }
}

/** Waits until a process has logged `message` more often than `before` times. */
async function logged(service: ServiceProcess, message: RegExp, before: number): Promise<void> {
  await waitFor(() => occurrences(service, message) > before, { timeoutMs: 30_000, what: `the log line ${message}` })
}

function occurrences(service: ServiceProcess, message: RegExp): number {
  return service
    .output()
    .split('\n')
    .filter((line) => message.test(line)).length
}

describe('delivery under faults (ingest + dispatcher processes, real Postgres and Redis)', function () {
  this.timeout(120_000)

  describe('scripted target failures', () => {
    const fakes = {
      flaky: scripted({ status: 500 }, { status: 500 }, ok),
      rejecting: scripted({ status: 400, body: '{"errors":{"summary":"is required"}}' }),
      throttled: scripted({ status: 429, headers: { 'retry-after': '1' } }, ok),
      hanging: scripted({ status: 200, hang: true }, ok),
      exhausted: scripted({ status: 503 }, { status: 503 }, ok),
      fast: scripted(ok),
    }
    let stack: Stack

    before(async () => {
      await Promise.all(Object.values(fakes).map((fake) => fake.start()))
      const config = Object.entries(fakes)
        .map(([name, fake]) => webhookItem(name, fake.url, name === 'exhausted' ? '  retries: 2\n' : '', name === 'hanging' ? '5s' : '1s'))
        .join('')
      stack = await startStack({ config })
      expect((await post(stack.ingestUrls[0]!, scanBody('faults:1'))).status).to.equal(202)
    })
    after(async () => {
      await stack?.stop()
      await Promise.all(Object.values(fakes).map((fake) => fake.stop()))
    })

    it('500, 500, 200 → sent after 3 attempts', async () => {
      const [row] = await until(stack.ingestUrls[0]!, 'flaky', (rows) => rows[0]?.status === 'sent')
      expect(row).to.include({ status: 'sent', attempts: 3, lastError: null })
      expect(fakes.flaky.requests).to.have.length(3)
    })

    it("400 → failed after 1 attempt, keeping the target's error", async () => {
      const [row] = await until(stack.ingestUrls[0]!, 'rejecting', (rows) => rows[0]?.status === 'failed')
      expect(row.attempts).to.equal(1)
      expect(row.lastError).to.match(/HTTP 400: .*summary.*is required/)
      expect(fakes.rejecting.requests).to.have.length(1) // and still one at the end: see the last test
    })

    it('429 with Retry-After → the output pauses, then sends without spending an attempt', async () => {
      const [row] = await until(stack.ingestUrls[0]!, 'throttled', (rows) => rows[0]?.status === 'sent')
      expect(row.attempts).to.equal(1)
      const [first, second] = fakes.throttled.requests
      expect(second!.receivedAt - first!.receivedAt).to.be.at.least(900)
    })

    it('a hung target → timeout, then retried and sent', async () => {
      const [row] = await until(stack.ingestUrls[0]!, 'hanging', (rows) => rows[0]?.status === 'sent')
      expect(row.attempts).to.equal(2)
      expect(fakes.hanging.requests).to.have.length(2)
    })

    it('retries exhausted → dead; a replay sends it once, and a second replay sends nothing', async () => {
      const url = stack.ingestUrls[0]!
      const [dead] = await until(url, 'exhausted', (rows) => rows[0]?.status === 'dead')
      expect(dead).to.include({ attempts: 2 })
      expect(dead.lastError).to.match(/HTTP 503/)
      const replay = await adminFetch(`${url}/api/deliveries/replay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ output: 'exhausted' }),
      })
      expect(await replay.json()).to.deep.equal({ replayed: 1, enqueued: 1 })
      const [sent] = await until(url, 'exhausted', (rows) => rows[0]?.status === 'sent')
      expect(sent.attempts).to.equal(1)
      const again = await adminFetch(`${url}/api/deliveries/replay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ids: [sent.id] }),
      })
      expect(await again.json()).to.deep.equal({ replayed: 0, enqueued: 0 })
      expect(fakes.exhausted.requests).to.have.length(3) // and still three at the end: see the last test
    })

    it('a hung or failing output never delays another', async () => {
      // Order, not milliseconds: the fast output was delivered while the hung one still held its
      // first request (the retry comes only after its 5 s timeout), with the failing outputs
      // retrying at the same time.
      const [request] = await fakes.fast.waitForRequests(1)
      const hung = await fakes.hanging.waitForRequests(2)
      expect(request!.receivedAt).to.be.lessThan(hung[1]!.receivedAt)
    })

    it('the permanent failure and the replayed delivery were never sent again while the others ran', () => {
      // Checked last, after every other test of this group has waited on its own outcome.
      expect(fakes.rejecting.requests).to.have.length(1)
      expect(fakes.exhausted.requests).to.have.length(3)
    })

    it('refuses a replay without a selector', async () => {
      const response = await adminFetch(`${stack.ingestUrls[0]}/api/deliveries/replay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
      expect(response.status).to.equal(400)
      expect(((await response.json()) as { error: string }).error).to.match(/say which deliveries to replay/)
    })
  })

  describe('dispatcher crashes and drains', () => {
    let fake: HttpFake
    let stack: Stack
    const lockEnv = { POSTEE_LOCK_DURATION_MS: '2000', POSTEE_STALLED_INTERVAL_MS: '1000' }

    before(async () => {
      fake = await new HttpFake(() => ok).start()
      stack = await startStack({ config: webhookItem('held', fake.url, '', '20s'), dispatchers: 0 })
    })
    after(async () => {
      await stack?.stop()
      await fake?.stop()
    })

    it('SIGKILL during a held request → delivered after a restart, exactly once more', async () => {
      fake.respondWith((_request, index) => (index === 0 ? { status: 200, hang: true } : ok))
      const dispatcher = await stack.startDispatcher(lockEnv)
      expect((await post(stack.ingestUrls[0]!, scanBody('crash:1'))).status).to.equal(202)
      await fake.waitForRequests(1)
      await dispatcher.stop('SIGKILL')
      await stack.startDispatcher(lockEnv)
      const [row] = await until(stack.ingestUrls[0]!, 'held', (rows) => rows[0]?.status === 'sent')
      expect(row.attempts).to.equal(2)
      expect(fake.requests).to.have.length(2)
    })

    it('SIGTERM lets an in-flight delivery finish, then exits 0', async () => {
      for (const running of stack.dispatchers) await running.stop('SIGTERM')
      fake.requests.length = 0
      fake.respondWith(() => ({ ...ok, delayMs: 1_500 }))
      const dispatcher = await stack.startDispatcher(lockEnv)
      const { json } = await post(stack.ingestUrls[0]!, scanBody('drain:1'))
      await fake.waitForRequests(1)
      expect(await dispatcher.stop('SIGTERM', 15_000)).to.equal(0)
      const rows = await deliveries(stack.ingestUrls[0]!, `&scan=${json.id}`)
      expect(rows[0].status).to.equal('sent')
      expect(dispatcher.output()).to.match(/drained/)
    })
  })

  describe('a Redis outage while scans arrive', () => {
    it('every acknowledged scan is delivered once Redis is back', async () => {
      const redis = await startOwnRedis()
      const fake = await new HttpFake(() => ok).start()
      const stack = await startStack({
        config: webhookItem('outage', fake.url),
        env: { REDIS_URL: redis.url, POSTEE_RELAY_INTERVAL_MS: '300', POSTEE_RELAY_UNQUEUED_MS: '500', POSTEE_RELAY_REQUEUE_MS: '3000' },
      })
      try {
        const url = stack.ingestUrls[0]!
        const accepted: string[] = []
        const send = async (count: number, from: number) => {
          for (let i = from; i < from + count; i++) {
            const answer = await post(url, scanBody(`outage:${i}`))
            expect(answer.status).to.equal(202)
            accepted.push(answer.json.id)
          }
        }
        await send(10, 0)
        await redis.stop()
        await send(10, 10)
        await redis.start()
        await send(10, 20)
        const rows = await until(url, 'outage', (r) => r.length === 30 && r.every((d) => d.status === 'sent'), 60_000)
        expect(new Set(rows.map((r) => r.scan))).to.deep.equal(new Set(accepted))
        const deliveriesSeen = fake.requests.map((r) => r.headers['x-postee-delivery'])
        const duplicates = deliveriesSeen.length - new Set(deliveriesSeen).size
        console.log(
          `      redis outage: ${accepted.length} scans acknowledged, ${new Set(deliveriesSeen).size} delivered, ${duplicates} duplicate requests`,
        )
        expect(new Set(deliveriesSeen).size).to.equal(30)
        expect(duplicates).to.equal(0)
      } finally {
        await stack.stop()
        await fake.stop()
        await redis.stop()
      }
    })
  })
})

describe('a Postgres outage seen by the dispatcher', function () {
  this.timeout(120_000)

  it('waits while the ledger is unreachable, and never marks sent what it could not record', async () => {
    const { TcpProxy } = await import('@postee/testkit')
    const fake = await new HttpFake(() => ({ ...ok, delayMs: 800 })).start()
    const stack = await startStack({ config: webhookItem('ledger', fake.url, '', '5s'), dispatchers: 0 })
    const database = new URL(stack.database.url)
    const proxy = await new TcpProxy(database.hostname, Number(database.port || 5432)).start()
    try {
      database.host = `127.0.0.1:${proxy.port}`
      const dispatcher = await stack.startDispatcher({ DATABASE_URL: database.toString() })
      const url = stack.ingestUrls[0]!

      // Down before the job arrives: nothing is sent until the ledger answers again.
      proxy.cut()
      const unavailable = occurrences(dispatcher, /ledger unavailable/)
      const first = await post(url, scanBody('ledger:1'))
      await logged(dispatcher, /ledger unavailable/, unavailable)
      expect(fake.requests).to.have.length(0)
      proxy.restore()
      await until(url, 'ledger', (rows) => rows.some((r) => r.scan === first.json.id && r.status === 'sent'), 30_000)
      expect(fake.requests).to.have.length(1)

      // Down during the send: the outcome cannot be recorded, so the delivery is not marked sent
      // and is sent again later: at least once, with the same delivery id for the receiver.
      const second = await post(url, scanBody('ledger:2'))
      await fake.waitForRequests(2)
      const unrecorded = occurrences(dispatcher, /could not record the outcome/)
      proxy.cut()
      await logged(dispatcher, /could not record the outcome/, unrecorded)
      proxy.restore()
      const rows = await until(url, 'ledger', (r) => r.some((d) => d.scan === second.json.id && d.status === 'sent'), 30_000)
      const secondId = rows.find((d) => d.scan === second.json.id).id
      const sends = fake.requests.filter((r) => r.headers['x-postee-delivery'] === secondId)
      expect(sends.length).to.be.within(1, 2)
    } finally {
      await stack.stop()
      await proxy.stop()
      await fake.stop()
    }
  })
})
