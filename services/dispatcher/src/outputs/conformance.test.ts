import { expect } from 'chai'
import {
  DeliveryError,
  parseAquaScan,
  parseConfig,
  type DeliveryBatch,
  type DeliveryContext,
  type Integration,
  type Output,
} from '@postee/shared'
import { HttpFake, readFixture, type FakeHandler } from '@postee/testkit'
import { USER_AGENT } from './http.js'
import { createOutput } from './registry.js'

/**
 * The output conformance suite (docs/adding-an-output.md): every output, against an HTTP fake on
 * loopback, must turn 2xx into a result, 4xx into a permanent DeliveryError, 429 into rate-limited
 * with its Retry-After, 5xx and hangs into retryable errors, honour the abort signal, and never put
 * a secret in an error message. Each output adds one entry here.
 */
interface ConformanceCase {
  readonly kind: string
  /** cfg.yaml item for the output, pointed at the fake; SECRET stands for the secret value. */
  readonly item: (fakeUrl: string) => string
  /** How the fake accepts a correct request (the output's own tests check the request in depth). */
  readonly accept: FakeHandler
}

const SECRET = 'conformance-s3cr3t-value'

const CASES: ConformanceCase[] = [
  {
    kind: 'webhook',
    item: (url) => `type: webhook\n  url: ${url}/hook/${SECRET}`,
    accept: () => ({ status: 200, body: 'ok' }),
  },
  {
    kind: 'jira',
    item: (url) => `type: jira\n  url: ${url}\n  user: bot@example.com\n  password: ${SECRET}\n  project_key: VUL`,
    // Data Center (v2): the label search finds nothing, then the create answers 201.
    accept: (request) =>
      request.path.startsWith('/rest/api/2/search')
        ? { status: 200, body: { startAt: 0, maxResults: 1, total: 0, issues: [] } }
        : { status: 201, body: { id: '10001', key: 'VUL-1', self: 'http://jira.example.com/rest/api/2/issue/10001' } },
  },
  {
    kind: 'splunk',
    item: (url) => `type: splunk\n  url: ${url}\n  token: ${SECRET}`,
    accept: () => ({ status: 200, body: { text: 'Success', code: 0 } }),
  },
  {
    kind: 'serviceNow',
    item: (url) => `type: serviceNow\n  instance: ${url}\n  user: postee\n  password: ${SECRET}`,
    // The search for the correlation id finds nothing, then the create answers 201.
    accept: (request) =>
      request.method === 'GET'
        ? { status: 200, body: { result: [] } }
        : { status: 201, body: { result: { sys_id: '46d44a5dc0a8010e01f7a5b0c6ad2b84', number: 'INC0010001' } } },
  },
  {
    kind: 'slack',
    item: (url) => `type: slack\n  url: ${url}/services/T0000000/B0000000/${SECRET}`,
    accept: () => ({ status: 200, body: 'ok' }),
  },
  {
    kind: 'teams (Workflows)',
    item: (url) => `type: teams\n  format: adaptive\n  url: ${url}/workflows/0f1e2d/triggers/manual/paths/invoke?sig=${SECRET}`,
    accept: () => ({ status: 202 }),
  },
  {
    kind: 'teams (legacy connector)',
    item: (url) => `type: teams\n  format: legacy\n  url: ${url}/webhookb2/0000@1111/IncomingWebhook/${SECRET}/2222`,
    accept: () => ({ status: 200, body: '1' }),
  },
]

function integrationFor(c: ConformanceCase, fakeUrl: string): Integration {
  const config = parseConfig(`- name: out\n  enable: true\n  ${c.item(fakeUrl)}\n`, {})
  return config.integrations[0]!
}

function batch(): DeliveryBatch {
  const rawBody = readFixture('aqua-input.json').toString('utf8')
  return {
    key: '6d1f6bb2-5f3e-4b59-9a53-3f1e4b7e2a10',
    aggregated: false,
    items: [
      {
        deliveryId: '6d1f6bb2-5f3e-4b59-9a53-3f1e4b7e2a10',
        scanId: 'a',
        scan: parseAquaScan(JSON.parse(rawBody)),
        rawBody,
        outcome: 'new',
        diff: undefined,
        receivedAt: new Date(),
      },
    ],
  }
}

function context(timeoutMs = 2_000, signal: AbortSignal = AbortSignal.timeout(timeoutMs)): DeliveryContext {
  return { signal, timeoutMs, aquaServer: 'https://aqua.example.com' }
}

async function failure(output: Output, ctx: DeliveryContext = context()): Promise<DeliveryError> {
  try {
    await output.send(ctx, batch())
  } catch (error) {
    expect(error).to.be.instanceOf(DeliveryError)
    expect((error as Error).message).to.not.include(SECRET)
    return error as DeliveryError
  }
  throw new Error('expected the send to fail')
}

for (const c of CASES) {
  describe(`output conformance: ${c.kind}`, () => {
    let fake: HttpFake
    let output: Output
    beforeEach(async () => {
      fake = await new HttpFake(c.accept).start()
      output = createOutput(integrationFor(c, fake.url))!
    })
    afterEach(async () => fake.stop())

    it('2xx → a result', async () => {
      const result = await output.send(context(), batch())
      expect(result).to.be.an('object')
      expect(fake.requests.length).to.be.greaterThan(0)
    })

    it('introduces itself as postee-ts/<version>, not as got', async () => {
      await output.send(context(), batch())
      expect(USER_AGENT).to.match(/^postee-ts\/\d+\.\d+\.\d+/)
      expect(fake.requests.map((request) => request.headers['user-agent'])).to.deep.equal(fake.requests.map(() => USER_AGENT))
    })

    it('400 → permanent, with the target message and no secret', async () => {
      fake.respondWith(() => ({ status: 400, body: `bad request for ${SECRET}` }))
      const error = await failure(output)
      expect(error).to.include({ retryable: false, reason: 'client-error' })
      expect(error.message).to.match(/HTTP 400: bad request for <secret>/)
    })

    it('401 → permanent auth failure', async () => {
      fake.respondWith(() => ({ status: 401, body: 'nope' }))
      expect(await failure(output)).to.include({ retryable: false, reason: 'auth' })
    })

    it('429 with Retry-After → rate-limited, retryable, with the pause', async () => {
      fake.respondWith(() => ({ status: 429, headers: { 'retry-after': '7' }, body: 'slow down' }))
      expect(await failure(output)).to.include({ retryable: true, reason: 'rate-limited', retryAfterMs: 7_000 })
    })

    it('5xx → retryable', async () => {
      fake.respondWith(() => ({ status: 503, body: 'down' }))
      expect(await failure(output)).to.include({ retryable: true, reason: 'server-error' })
    })

    it('a hung target → timeout, retryable, within the timeout', async () => {
      fake.respondWith(() => ({ status: 200, hang: true }))
      const started = Date.now()
      expect(await failure(output, context(300))).to.include({ retryable: true, reason: 'timeout' })
      // The target never answers: ending at all proves the 300 ms timeout; the bound only has to
      // stay far from "never" on a busy machine.
      expect(Date.now() - started).to.be.lessThan(10_000)
    })

    it('honours an abort (a draining process)', async () => {
      fake.respondWith(() => ({ status: 200, hang: true }))
      const controller = new AbortController()
      // Abort once the request is in flight, not after a guessed delay.
      void fake.waitForRequests(1).then(() => controller.abort())
      const started = Date.now()
      expect(await failure(output, context(60_000, controller.signal))).to.include({ retryable: true })
      // Far below the attempt's own 60 s timeout: the abort, not the timeout, ended it.
      expect(Date.now() - started).to.be.lessThan(20_000)
    })

    it('a refused connection → network error, retryable, no secret', async () => {
      await fake.stop()
      expect(await failure(output)).to.include({ retryable: true, reason: 'network' })
    })
  })
}
