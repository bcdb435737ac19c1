import { expect } from 'chai'
import {
  DeliveryError,
  parseConfig,
  renderSplunkEvent,
  type DeliveryBatch,
  type DeliveryContext,
  type Output,
  type SplunkIntegration,
} from '@postee/shared'
import { HttpFake, SCAN_FIXTURES, batchOf, expectGolden, fixtureItem, generatedItem, reportsOf } from '@postee/testkit'
import { hecAnswer, hecFake } from './hec-fake.testkit.js'
import { createSplunkOutput, eventEndpoint } from './splunk-output.js'

/**
 * The Splunk output against an HEC fake on loopback. The event of a batch is pinned by the
 * renderer's goldens (packages/shared/src/render/golden/splunk/); this output's one golden,
 * `golden/aggregated-one.json`, is the wrapping only it does (an aggregated batch of one scan is
 * still an array). After an intended change run with `UPDATE_GOLDEN=1` (the test fails, naming the
 * rewritten file; refused under CI) and review the git diff like code.
 */
const TOKEN = '5f0c3b1e-2d4a-4c6b-9e8f-0a1b2c3d4e5f'
const GOLDEN = new URL('./golden/', import.meta.url)

function integration(url: string, extra = ''): SplunkIntegration {
  const text = `- name: splunk-out\n  type: splunk\n  enable: true\n  url: ${url}\n  token: ${TOKEN}\n${extra}`
  return parseConfig(text, {}).integrations[0] as SplunkIntegration
}

function context(): DeliveryContext {
  return { signal: AbortSignal.timeout(10_000), timeoutMs: 10_000, aquaServer: 'https://aqua.example.com' }
}

function shortName(fixture: string): string {
  return fixture.replace(/^.*\//, '').replace(/\.json$/, '')
}

/** Every fixture with and without a diff, the 5,000-finding scan, and aggregated batches. */
function bodyCases(): { name: string; batch: () => DeliveryBatch }[] {
  const cases = SCAN_FIXTURES.flatMap((fixture) => [
    { name: shortName(fixture), batch: () => batchOf([fixtureItem(fixture)]) },
    { name: `${shortName(fixture)}-diff`, batch: () => batchOf([fixtureItem(fixture, { withDiff: true })]) },
  ])
  return [
    ...cases,
    { name: 'generated-5000', batch: () => batchOf([generatedItem(5000)]) },
    { name: 'generated-5000-diff', batch: () => batchOf([generatedItem(5000, { withDiff: true })]) },
    {
      name: 'aggregated',
      batch: () =>
        batchOf(
          [
            fixtureItem('aqua-input.json', { n: 1 }),
            fixtureItem('trivy-input.json', { n: 2, withDiff: true }),
            fixtureItem('all-in-one-image.json', { n: 3 }),
          ],
          true,
        ),
    },
    { name: 'aggregated-one', batch: () => batchOf([fixtureItem('aqua-input.json')], true) },
  ]
}

async function failure(output: Output, batch: DeliveryBatch): Promise<DeliveryError> {
  try {
    await output.send(context(), batch)
  } catch (error) {
    expect(error).to.be.instanceOf(DeliveryError)
    expect((error as Error).message).to.not.include(TOKEN)
    return error as DeliveryError
  }
  throw new Error('expected the send to fail')
}

describe('splunk output', () => {
  let fake: HttpFake
  beforeEach(async () => {
    fake = await new HttpFake(hecFake({ token: TOKEN, sizeLimit: 10_000 })).start()
  })
  afterEach(async () => fake.stop())

  describe('request bodies: the rendered event, all accepted by HEC', () => {
    for (const c of bodyCases()) {
      it(c.name, async () => {
        const config = integration(fake.url)
        const batch = c.batch()
        const result = await createSplunkOutput(config).send(context(), batch)
        expect(result).to.deep.equal({})
        const [request] = fake.requests
        expect(request!.path).to.equal('/services/collector/event')
        expect(request!.headers.authorization).to.equal(`Splunk ${TOKEN}`)
        expect(request!.headers['content-type']).to.equal('application/json')
        expect(Buffer.byteLength(request!.body, 'utf8')).to.be.at.most(10_000)
        if (c.name === 'aggregated-one') {
          expectGolden(new URL('aggregated-one.json', GOLDEN), JSON.stringify(JSON.parse(request!.body), null, 2) + '\n')
        } else {
          const options = { sizeLimit: config.sizeLimit, index: config.index, source: config.source, sourcetype: config.sourcetype }
          expect(
            request!.body === JSON.stringify(renderSplunkEvent(reportsOf(batch), options)),
            'the body is not renderSplunkEvent of the batch',
          ).to.equal(true)
        }
      })
    }
  })

  it('sends an aggregated batch as one event whose `event` is the per-scan array, also for one scan', async () => {
    const output = createSplunkOutput(integration(fake.url))
    await output.send(context(), batchOf([fixtureItem('aqua-input.json')], true))
    await output.send(context(), batchOf([fixtureItem('aqua-input.json', { n: 1 }), fixtureItem('trivy-input.json', { n: 2 })], true))
    const [one, two] = fake.requests.map((r) => JSON.parse(r.body) as { event: { image: string }[] })
    expect(one!.event).to.be.an('array').with.length(1)
    expect(one!.event[0]!.image).to.equal('all-in-one:3.5.19223')
    expect(two!.event).to.be.an('array').with.length(2)
  })

  it('keeps a tight SizeLimit, down to summary events', async () => {
    fake.respondWith(hecFake({ token: TOKEN, sizeLimit: 700 }))
    await createSplunkOutput(integration(fake.url, '  SizeLimit: 700\n')).send(
      context(),
      batchOf([generatedItem(5000, { withDiff: true })]),
    )
    const body = fake.requests[0]!.body
    expect(Buffer.byteLength(body, 'utf8')).to.be.at.most(700)
    expect(JSON.parse(body).event.summaryOnly).to.equal(true)
  })

  it('sends index, source and sourcetype when configured', async () => {
    fake.respondWith(hecFake({ token: TOKEN, sizeLimit: 10_000, allowedIndexes: ['security'] }))
    const output = createSplunkOutput(integration(fake.url, '  index: security\n  source: postee\n  sourcetype: aqua:scan\n'))
    await output.send(context(), batchOf([fixtureItem('aqua-input.json')]))
    expect(JSON.parse(fake.requests[0]!.body)).to.include({ index: 'security', source: 'postee', sourcetype: 'aqua:scan' })
  })

  it("an index the token may not write to → permanent, with HEC's text and the fix", async () => {
    const output = createSplunkOutput(integration(fake.url, '  index: secret-index\n'))
    const error = await failure(output, batchOf([fixtureItem('aqua-input.json')]))
    expect(error).to.include({ reason: 'client-error', retryable: false })
    expect(error.message).to.match(/^HTTP 400: Incorrect index \(HEC code 7\); .*allowed indexes/)
  })

  it('a wrong token → permanent auth failure naming HEC code 4', async () => {
    fake.respondWith(hecFake({ token: '00000000-0000-0000-0000-000000000000', sizeLimit: 10_000 }))
    const error = await failure(createSplunkOutput(integration(fake.url)), batchOf([fixtureItem('aqua-input.json')]))
    expect(error).to.include({ reason: 'auth', retryable: false })
    expect(error.message).to.match(/^HTTP 403: Invalid token \(HEC code 4\)/)
  })

  const codes: [status: number, code: number, text: string, reason: string, retryable: boolean][] = [
    [403, 1, 'Token disabled', 'auth', false],
    [401, 2, 'Token is required', 'auth', false],
    [401, 3, 'Invalid authorization', 'auth', false],
    [400, 6, 'Invalid data format', 'client-error', false],
    [500, 8, 'Internal server error', 'server-error', true],
    [503, 9, 'Server is busy', 'server-error', true],
    [400, 10, 'Data channel is missing', 'client-error', false],
    [503, 18, 'HEC is unhealthy, queues are full', 'server-error', true],
  ]
  for (const [status, code, text, reason, retryable] of codes) {
    it(`HTTP ${status} code ${code} (${text}) → ${reason}${retryable ? ', retryable' : ''}`, async () => {
      fake.respondWith(() => hecAnswer(code, text, status))
      const error = await failure(createSplunkOutput(integration(fake.url)), batchOf([fixtureItem('aqua-input.json')]))
      expect(error).to.include({ reason, retryable })
      expect(error.message).to.include(`HTTP ${status}: ${text} (HEC code ${code})`)
    })
  }

  it('a 200 whose code is not 0 is a failure, classified by the status HEC pairs with the code', async () => {
    fake.respondWith(() => hecAnswer(9, 'Server is busy', 200))
    const error = await failure(createSplunkOutput(integration(fake.url)), batchOf([fixtureItem('aqua-input.json')]))
    expect(error).to.include({ reason: 'server-error', retryable: true })
    expect(error.message).to.include('Server is busy (HEC code 9)')
  })

  it("a 200 that is not HEC's answer (Splunk Web, a proxy page) → permanent config failure", async () => {
    fake.respondWith(() => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>Splunk login</html>' }))
    const error = await failure(createSplunkOutput(integration(fake.url)), batchOf([fixtureItem('aqua-input.json')]))
    expect(error).to.include({ reason: 'config', retryable: false })
    expect(error.message).to.include('port 8088')
  })

  it('reports the ackId as the external id when the token uses indexer acknowledgement', async () => {
    fake.respondWith(() => ({ status: 200, body: { text: 'Success', code: 0, ackId: 42 } }))
    expect(await createSplunkOutput(integration(fake.url)).send(context(), batchOf([fixtureItem('aqua-input.json')]))).to.deep.equal({
      externalId: '42',
    })
  })

  it('does not double the scheme of a token pasted as "Splunk <token>"', async () => {
    const config = parseConfig(`- name: s\n  type: splunk\n  enable: true\n  url: ${fake.url}\n  token: "Splunk ${TOKEN}"\n`, {})
    await createSplunkOutput(config.integrations[0] as SplunkIntegration).send(context(), batchOf([fixtureItem('aqua-input.json')]))
    expect(fake.requests[0]!.headers.authorization).to.equal(`Splunk ${TOKEN}`)
  })

  it('posts to the event endpoint however the URL is written', () => {
    expect(eventEndpoint('https://splunk.example.com:8088')).to.equal('https://splunk.example.com:8088/services/collector/event')
    expect(eventEndpoint('https://splunk.example.com:8088/')).to.equal('https://splunk.example.com:8088/services/collector/event')
    expect(eventEndpoint('https://splunk.example.com:8088/services/collector')).to.equal(
      'https://splunk.example.com:8088/services/collector/event',
    )
    expect(eventEndpoint('https://splunk.example.com:8088/services/collector/')).to.equal(
      'https://splunk.example.com:8088/services/collector/event',
    )
    expect(eventEndpoint('https://splunk.example.com:8088/services/collector/event')).to.equal(
      'https://splunk.example.com:8088/services/collector/event',
    )
    expect(eventEndpoint('https://hec.example.com/splunk/')).to.equal('https://hec.example.com/splunk/services/collector/event')
  })
})
