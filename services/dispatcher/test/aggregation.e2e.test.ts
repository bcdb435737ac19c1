import { expect } from 'chai'
import { HttpFake, adminFetch, readFixture, startStack, waitFor, waitUntil, type RecordedRequest, type Stack } from '@postee/testkit'

function aggregated(name: string, url: string, keys: string): string {
  return `- name: ${name}\n  type: webhook\n  enable: true\n  url: ${url}/${name}\n  ${keys.split('\n').join('\n  ')}\n`
}

function scanBody(image: string): string {
  const json = JSON.parse(readFixture('aqua-input.json').toString('utf8'))
  json.image = image
  return JSON.stringify(json)
}

async function post(url: string, image: string): Promise<any> {
  const response = await fetch(`${url}/scan`, { method: 'POST', body: scanBody(image), headers: { 'content-type': 'application/json' } })
  expect(response.status).to.equal(202)
  return response.json()
}

/** The images of each batch a webhook received, in arrival order. */
function batches(requests: readonly RecordedRequest[], path: string): string[][] {
  return requests.filter((r) => r.path === path).map((r) => (JSON.parse(r.body) as { image: string }[]).map((scan) => scan.image))
}

async function deliveries(url: string, output: string): Promise<any[]> {
  return ((await (await adminFetch(`${url}/api/deliveries?output=${output}`)).json()) as { deliveries: any[] }).deliveries
}

/** Waits until the ledger of `output` holds `count` sent batch rows whose held rows are all sent, and returns the rows. */
async function settledBatches(url: string, output: string, count: number, held: number): Promise<any[]> {
  return waitFor(
    async () => {
      const rows = await deliveries(url, output)
      const sentBatches = rows.filter((d) => d.scan === null && d.status === 'sent')
      const sentHeld = rows.filter((d) => d.scan !== null && d.status === 'sent' && sentBatches.some((b) => b.id === d.batch))
      return sentBatches.length === count && sentHeld.length === held ? rows : undefined
    },
    { what: `${count} sent batch(es) carrying ${held} sent deliveries of ${output}` },
  )
}

// Time bounds here are lower bounds only (a window never flushes early): a busy machine makes
// things later, never earlier, so an upper bound would only measure the machine.

describe('aggregation on a timeline (processes, real Postgres and Redis)', function () {
  this.timeout(120_000)
  let fake: HttpFake
  let stack: Stack

  beforeEach(async () => {
    fake = await new HttpFake((request) =>
      Array.isArray(JSON.parse(request.body)) ? { status: 200 } : { status: 400, body: 'expected a JSON array' },
    ).start()
  })
  afterEach(async () => {
    await stack?.stop()
    await fake?.stop()
  })

  it('N=3 with 4 scans → one batch of 3, in arrival order, and one held', async () => {
    stack = await startStack({ config: aggregated('count', fake.url, 'Aggregate-Issues-Number: 3') })
    const url = stack.ingestUrls[0]!
    const answers = []
    for (let i = 1; i <= 4; i++) answers.push(await post(url, `count:${i}`))
    expect(answers.map((a) => a.deliveries[0].status)).to.deep.equal(['buffered', 'buffered', 'buffered', 'buffered'])
    // The batch row and its three held rows are sent; the fourth stays buffered (a count flush
    // needs three), so no other request can follow.
    const rows = await settledBatches(url, 'count', 1, 3)
    expect(batches(fake.requests, '/count')).to.deep.equal([['count:1', 'count:2', 'count:3']])
    const batch = rows.find((d) => d.scan === null)
    expect(batch).to.include({ status: 'sent', attempts: 1 })
    const held = rows.filter((d) => d.scan !== null)
    expect(held.filter((d) => d.batch === batch.id && d.status === 'sent')).to.have.length(3)
    expect(held.filter((d) => d.batch === null && d.status === 'buffered')).to.have.length(1)
  })

  it('a 3 s window with 2 scans → one batch of both, not before the window ends', async () => {
    stack = await startStack({ config: aggregated('window', fake.url, 'Aggregate-Issues-Timeout: 3s') })
    const url = stack.ingestUrls[0]!
    const start = Date.now()
    await post(url, 'window:1')
    await post(url, 'window:2')
    await settledBatches(url, 'window', 1, 2)
    expect(batches(fake.requests, '/window')).to.deep.equal([['window:1', 'window:2']])
    // The window opened with the first scan, after `start`; 100 ms of slack for timestamp rounding.
    expect(fake.requests[0]!.receivedAt - start).to.be.at.least(2_900)
  })

  it('a window flushes after the dispatcher is killed and restarted, with no new scans, once', async () => {
    stack = await startStack({ config: aggregated('crash', fake.url, 'Aggregate-Issues-Timeout: 3s'), dispatchers: 0 })
    const dispatcher = await stack.startDispatcher()
    const url = stack.ingestUrls[0]!
    const start = Date.now()
    await post(url, 'crash:1')
    await post(url, 'crash:2')
    await dispatcher.stop('SIGKILL')
    // The subject is a window that ends while no dispatcher runs: wait for its end (3 s after the
    // first scan, plus a margin), not for a state.
    await waitUntil(start + 3_500)
    expect(fake.requests).to.have.length(0)
    await stack.startDispatcher()
    // Once: one batch row, sent on its first attempt, carrying both scans; the webhook got one request.
    const rows = await settledBatches(url, 'crash', 1, 2)
    expect(rows.filter((d) => d.scan === null)).to.have.length(1)
    expect(rows.find((d) => d.scan === null)).to.include({ status: 'sent', attempts: 1 })
    expect(batches(fake.requests, '/crash')).to.deep.equal([['crash:1', 'crash:2']])
  })

  it('two replicas, 6 scans, N=3 → 2 batches, disjoint and complete', async () => {
    stack = await startStack({ config: aggregated('replicas', fake.url, 'Aggregate-Issues-Number: 3'), dispatchers: 2, ingests: 2 })
    const images = Array.from({ length: 6 }, (_, i) => `replicas:${i + 1}`)
    await Promise.all(images.map((image, i) => post(stack.ingestUrls[i % 2]!, image)))
    // Every delivery is in a sent batch, so no further request can come.
    await settledBatches(stack.ingestUrls[0]!, 'replicas', 2, 6)
    const sent = batches(fake.requests, '/replicas')
    expect(sent).to.have.length(2)
    expect(sent.every((batch) => batch.length === 3)).to.equal(true)
    expect(sent.flat().sort()).to.deep.equal([...images].sort())
  })

  it('both keys: the count flushes first, and the window flushes what is left', async () => {
    stack = await startStack({ config: aggregated('both', fake.url, 'Aggregate-Issues-Number: 2\nAggregate-Issues-Timeout: 2s') })
    const url = stack.ingestUrls[0]!
    await post(url, 'both:1')
    await post(url, 'both:2')
    const third = Date.now()
    await post(url, 'both:3')
    await settledBatches(url, 'both', 2, 3)
    // Had the count not flushed, the window would have sent all three together.
    expect(batches(fake.requests, '/both')).to.deep.equal([['both:1', 'both:2'], ['both:3']])
    // The third scan opened the next window, which ends 2 s later (100 ms of slack for rounding).
    expect(fake.requests[1]!.receivedAt - third).to.be.at.least(1_900)
  })
})
