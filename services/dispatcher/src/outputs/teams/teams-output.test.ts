import { basename } from 'node:path'
import { expect } from 'chai'
import {
  DeliveryError,
  parseConfig,
  renderTeams,
  type DeliveryBatch,
  type DeliveryContext,
  type Output,
  type TeamsIntegration,
} from '@postee/shared'
import { HttpFake, SCAN_FIXTURES, batchOf, fixtureItem, generatedItem, reportsOf, type FakeHandler } from '@postee/testkit'
import { connectorWebhook, workflowsWebhook } from './teams-fake.testkit.js'
import { createTeamsOutput } from './teams-output.js'

const SIG = 'XXXXteamsXXXXsignatureXXXX'
const FORMATS = {
  adaptive: {
    path: `/workflows/0f1e2d/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${SIG}`,
    fake: workflowsWebhook,
  },
  legacy: { path: `/webhookb2/0000-1111@2222/IncomingWebhook/${SIG}/3333`, fake: connectorWebhook },
} as const

function integration(url: string, format: 'adaptive' | 'legacy'): TeamsIntegration {
  const config = parseConfig(`- name: teams-out\n  type: teams\n  enable: true\n  format: ${format}\n  url: "${url}"\n`, {})
  return config.integrations[0] as TeamsIntegration
}

function context(): DeliveryContext {
  return { signal: AbortSignal.timeout(10_000), timeoutMs: 10_000, aquaServer: 'https://aqua.example.com' }
}

/** Every fixture with and without a diff, a 5,000-finding scan, and an aggregated batch of three. */
function bodyCases(): { readonly name: string; readonly batch: () => DeliveryBatch }[] {
  const cases = SCAN_FIXTURES.flatMap((fixture) => [
    { name: basename(fixture, '.json'), batch: () => batchOf([fixtureItem(fixture)]) },
    { name: `${basename(fixture, '.json')}.diff`, batch: () => batchOf([fixtureItem(fixture, { withDiff: true })]) },
  ])
  return [
    ...cases,
    { name: 'generated-5000', batch: () => batchOf([generatedItem(5000)]) },
    { name: 'generated-5000.diff', batch: () => batchOf([generatedItem(5000, { withDiff: true })]) },
    {
      name: 'aggregated-3',
      batch: () =>
        batchOf([
          fixtureItem('aqua-input.json', { n: 1 }),
          fixtureItem('all-in-one-image.json', { withDiff: true, n: 2 }),
          fixtureItem('trivy-input.json', { n: 3 }),
        ]),
    },
  ]
}

async function failure(output: Output): Promise<DeliveryError> {
  try {
    await output.send(context(), batchOf([fixtureItem('aqua-input.json')]))
  } catch (error) {
    expect(error).to.be.instanceOf(DeliveryError)
    expect((error as Error).message).to.not.include(SIG)
    return error as DeliveryError
  }
  throw new Error('expected the send to fail')
}

for (const format of ['adaptive', 'legacy'] as const) {
  describe(`teams output (${format})`, () => {
    let fake: HttpFake
    let output: Output
    beforeEach(async () => {
      fake = await new HttpFake(FORMATS[format].fake(FORMATS[format].path)).start()
      output = createTeamsOutput(integration(`${fake.url}${FORMATS[format].path}`, format))
    })
    afterEach(async () => fake.stop())

    // The card itself is pinned by the renderer's goldens (packages/shared/src/render/golden/teams-*/):
    // here every case must be posted as exactly that card and be accepted by the strict fake.
    describe('request bodies: the rendered card, each accepted by the fake', () => {
      for (const testCase of bodyCases()) {
        it(testCase.name, async () => {
          const batch = testCase.batch()
          expect(await output.send(context(), batch)).to.deep.equal({})
          const [request] = fake.requests
          expect(request!.method).to.equal('POST')
          expect(request!.path).to.equal(FORMATS[format].path)
          expect(request!.headers['content-type']).to.equal('application/json')
          expect(
            request!.body === JSON.stringify(renderTeams(reportsOf(batch), { format })),
            'the body is not renderTeams of the batch',
          ).to.equal(true)
        })
      }
    })

    it('sends quotes, backslashes, newlines and markup in data as valid JSON, never as a link', async () => {
      const item = fixtureItem('aqua-input.json')
      const image = 'evil"name\\with\nnewline</script>[x](http://evil.example) **b**'
      await output.send(context(), batchOf([{ ...item, scan: { ...item.scan, image } }]))
      const body = JSON.parse(fake.requests[0]!.body) as Record<string, unknown>
      // A MessageCard's summary is plain text (notifications show it); every other text is Markdown.
      delete body['summary']
      expect(JSON.stringify(body)).to.not.include('[x](http://evil.example)')
    })

    it('a removed webhook: 404 → permanent, with what to do', async () => {
      const stale = createTeamsOutput(integration(`${fake.url}/gone/${SIG}`, format))
      const error = await failure(stale)
      expect(error).to.include({ retryable: false, reason: 'client-error' })
      expect(error.message).to.match(/^HTTP 404.*create a new one/)
    })

    it('429 with Retry-After → rate-limited for that long', async () => {
      fake.respondWith(() => ({ status: 429, headers: { 'retry-after': '12' }, body: 'Too many requests' }))
      expect(await failure(output)).to.include({ retryable: true, reason: 'rate-limited', retryAfterMs: 12_000 })
    })

    it('413 → payload-too-large, permanent', async () => {
      fake.respondWith(() => ({ status: 413, body: 'Payload Too Large' }))
      expect(await failure(output)).to.include({ retryable: false, reason: 'payload-too-large' })
    })

    it('502 → retryable', async () => {
      fake.respondWith(() => ({ status: 502, body: 'Bad Gateway' }))
      expect(await failure(output)).to.include({ retryable: true, reason: 'server-error' })
    })
  })
}

describe('teams output: Workflows answers', () => {
  const path = FORMATS.adaptive.path
  let fake: HttpFake
  let output: Output
  beforeEach(async () => {
    fake = await new HttpFake(workflowsWebhook(path)).start()
    output = createTeamsOutput(integration(`${fake.url}${path}`, 'adaptive'))
  })
  afterEach(async () => fake.stop())

  it('200 (a flow with a Response action) → success, like 202', async () => {
    fake.respondWith(() => ({ status: 200, body: { status: 'posted' } }))
    expect(await output.send(context(), batchOf([fixtureItem('aqua-input.json')]))).to.deep.equal({})
  })

  it('401 DirectApiAuthorizationRequired → auth, with what to do', async () => {
    fake.respondWith(() => ({
      status: 401,
      body: {
        error: { code: 'DirectApiAuthorizationRequired', message: 'The request must be authenticated only by Shared Access scheme.' },
      },
    }))
    const error = await failure(output)
    expect(error).to.include({ retryable: false, reason: 'auth' })
    expect(error.message).to.match(/Who can trigger the flow" to Anyone/)
  })

  it('400 TriggerInputSchemaMismatch → permanent, with what to do', async () => {
    fake.respondWith(() => ({ status: 400, body: { error: { code: 'TriggerInputSchemaMismatch', message: 'did not match its schema' } } }))
    const error = await failure(output)
    expect(error).to.include({ retryable: false, reason: 'client-error' })
    expect(error.message).to.match(/Send webhook alerts to a channel/)
  })
})

describe('teams output: legacy connector answers in a 200 body', () => {
  const path = FORMATS.legacy.path
  let fake: HttpFake
  let output: Output
  const answer =
    (body: string): FakeHandler =>
    () => ({ status: 200, body })
  beforeEach(async () => {
    fake = await new HttpFake(connectorWebhook(path)).start()
    output = createTeamsOutput(integration(`${fake.url}${path}`, 'legacy'))
  })
  afterEach(async () => fake.stop())

  const embedded = (status: number): string =>
    `Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error ${status} with ContextId tcid=0,server=msgapi-production-eus-azsc2-4-170,cv=deadbeef=2..`
  const cases: [number, Partial<DeliveryError>][] = [
    [429, { retryable: true, reason: 'rate-limited' }],
    [413, { retryable: false, reason: 'payload-too-large' }],
    [400, { retryable: false, reason: 'client-error' }],
    [500, { retryable: true, reason: 'server-error' }],
  ]
  for (const [status, expected] of cases) {
    it(`"… returned HTTP error ${status} …" → ${expected.reason}`, async () => {
      fake.respondWith(answer(embedded(status)))
      const error = await failure(output)
      expect(error).to.include(expected)
      expect(error.message).to.match(new RegExp(`^HTTP 200 reporting error ${status}: "Webhook message delivery failed`))
    })
  }

  it('any other 200 body → permanent, never success, with the URL redacted', async () => {
    fake.respondWith((request) => ({ status: 200, body: `<html>sign in to continue to ${request.path}</html>` }))
    const error = await failure(output)
    expect(error).to.include({ retryable: false, reason: 'unknown' })
    expect(error.message).to.match(/instead of "1".*format: adaptive/)
  })
})
