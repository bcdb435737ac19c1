import { basename } from 'node:path'
import { expect } from 'chai'
import {
  DeliveryError,
  parseConfig,
  renderSlack,
  type DeliveryBatch,
  type DeliveryContext,
  type Output,
  type SlackIntegration,
} from '@postee/shared'
import { HttpFake, SCAN_FIXTURES, batchOf, fixtureItem, generatedItem, reportsOf } from '@postee/testkit'
import { slackWebhook } from './slack-fake.testkit.js'
import { createSlackOutput } from './slack-output.js'

const KEY = 'XXXXslackXXXXsecretXXXXkey'
const PATH = `/services/T0000000/B0000000/${KEY}`

function integration(url: string): SlackIntegration {
  const config = parseConfig(`- name: slack-out\n  type: slack\n  enable: true\n  url: ${url}\n`, {})
  return config.integrations[0] as SlackIntegration
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

async function failure(output: Output, batch: DeliveryBatch = batchOf([fixtureItem('aqua-input.json')])): Promise<DeliveryError> {
  try {
    await output.send(context(), batch)
  } catch (error) {
    expect(error).to.be.instanceOf(DeliveryError)
    expect((error as Error).message).to.not.include(KEY)
    return error as DeliveryError
  }
  throw new Error('expected the send to fail')
}

describe('slack output', () => {
  let fake: HttpFake
  let output: Output
  beforeEach(async () => {
    fake = await new HttpFake(slackWebhook(PATH)).start()
    output = createSlackOutput(integration(`${fake.url}${PATH}`))
  })
  afterEach(async () => fake.stop())

  // The message itself is pinned by the renderer's goldens (packages/shared/src/render/golden/slack/):
  // here every case must be posted as exactly that message and be accepted by the strict fake.
  describe('request bodies: the rendered message, each accepted by the fake', () => {
    for (const testCase of bodyCases()) {
      it(testCase.name, async () => {
        const batch = testCase.batch()
        expect(await output.send(context(), batch)).to.deep.equal({})
        const [request] = fake.requests
        expect(request!.method).to.equal('POST')
        expect(request!.path).to.equal(PATH)
        expect(request!.headers['content-type']).to.equal('application/json')
        expect(request!.body === JSON.stringify(renderSlack(reportsOf(batch))), 'the body is not renderSlack of the batch').to.equal(true)
      })
    }
  })

  it('titles an aggregated batch of one "Vulnerability scan report"', async () => {
    await output.send(context(), batchOf([fixtureItem('aqua-input.json')], true))
    const body = JSON.parse(fake.requests[0]!.body) as { text: string; blocks: { type: string; text?: { text: string } }[] }
    expect(body.text).to.match(/^Vulnerability scan report/)
    expect(body.blocks[0]).to.deep.include({ type: 'header' })
    expect(body.blocks[0]!.text!.text).to.equal('Vulnerability scan report')
  })

  it('keeps data from pinging or linking', async () => {
    const item = fixtureItem('aqua-input.json')
    const hostile = { ...item, scan: { ...item.scan, image: '<!channel> <https://evil.example|click> *x*' } }
    await output.send(context(), batchOf([hostile]))
    const body = fake.requests[0]!.body
    expect(body).to.not.include('<!channel>')
    expect(body).to.not.include('<https://evil.example|click>')
    expect(body).to.include('&lt;!channel&gt;')
  })

  describe("Slack's error answers", () => {
    const cases: [string, number, string, Partial<DeliveryError>, RegExp][] = [
      ['a removed webhook', 404, 'no_service', { retryable: false, reason: 'auth' }, /HTTP 404: no_service \(the webhook was removed/],
      ['a deleted workspace', 404, 'no_team', { retryable: false, reason: 'auth' }, /workspace of this webhook is gone/],
      ['a deleted channel', 404, 'channel_not_found', { retryable: false, reason: 'config' }, /channel was deleted/],
      ['an archived channel', 410, 'channel_is_archived', { retryable: false, reason: 'config' }, /unarchive it/],
      ['a workspace restriction', 403, 'action_prohibited', { retryable: false, reason: 'auth' }, /workspace admin/],
      ['a revoked token', 403, 'invalid_token', { retryable: false, reason: 'auth' }, /was revoked/],
      ['a revoked token, answered with 200', 200, 'invalid_token', { retryable: false, reason: 'auth' }, /instead of "ok".*was revoked/],
      [
        'a revoked token, answered with 400',
        400,
        'invalid_token',
        { retryable: false, reason: 'auth' },
        /HTTP 400: invalid_token \(the webhook was revoked/,
      ],
      ['refused blocks', 400, 'invalid_blocks', { retryable: false, reason: 'client-error' }, /Postee bug/],
      ['a message too long', 400, 'msg_too_long', { retryable: false, reason: 'payload-too-large' }, /longer than Slack accepts/],
      ['a server error', 500, 'rollup_error', { retryable: true, reason: 'server-error' }, /HTTP 500: rollup_error$/],
      ['a server error naming a code', 503, 'invalid_token', { retryable: true, reason: 'server-error' }, /HTTP 503/],
      ['an unknown code', 400, 'something_new', { retryable: false, reason: 'client-error' }, /HTTP 400: something_new$/],
    ]
    for (const [name, status, code, expected, message] of cases) {
      it(`${name}: ${status} ${code}`, async () => {
        fake.respondWith(() => ({ status, body: code }))
        const error = await failure(output)
        expect(error).to.include(expected)
        expect(error.message).to.match(message)
      })
    }

    it('429 with Retry-After → rate-limited for that long', async () => {
      fake.respondWith(() => ({ status: 429, headers: { 'retry-after': '30' }, body: '{"ok":false,"error":"rate_limited"}' }))
      expect(await failure(output)).to.include({ retryable: true, reason: 'rate-limited', retryAfterMs: 30_000 })
    })

    it('a 2xx whose body is not "ok" (a proxy, a wrong URL) → permanent, never success', async () => {
      fake.respondWith((request) => ({ status: 200, body: `<html>login for ${request.path}</html>` }))
      const error = await failure(output)
      expect(error).to.include({ retryable: false, reason: 'unknown' })
      expect(error.message).to.match(/HTTP 200 with body .* instead of "ok".*incoming-webhook URL/)
    })

    it('an empty 204 → permanent, since Slack did not say it posted', async () => {
      fake.respondWith(() => ({ status: 204 }))
      expect(await failure(output)).to.include({ retryable: false, reason: 'unknown' })
    })
  })
})
