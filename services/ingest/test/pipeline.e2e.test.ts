import { expect } from 'chai'
import { HttpFake, adminFetch, readFixture, readFixtureJson, startStack, waitFor, type Stack } from '@postee/testkit'

/** Posts a body to ingest and returns the status and JSON answer. */
async function post(url: string, body: Buffer | string, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/scan`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })
  return { status: response.status, json: (await response.json()) as Record<string, any> }
}

/** Waits until no delivery of the stack is in flight, then returns them all. */
async function settledDeliveries(url: string, expected: number, timeoutMs = 20_000): Promise<any[]> {
  let seen: any[] = []
  return waitFor(
    async () => {
      seen = ((await (await adminFetch(`${url}/api/deliveries`)).json()) as { deliveries: any[] }).deliveries
      const settled = seen.filter((d) => ['sent', 'failed', 'dead'].includes(d.status))
      return seen.length >= expected && settled.length === seen.length ? seen : undefined
    },
    { timeoutMs, intervalMs: 100, what: 'every delivery to settle' },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; deliveries not settled: ${JSON.stringify(seen.map((d) => d.status))}`)
  })
}

function webhook(name: string, url: string, policy: string): string {
  return `- name: ${name}\n  type: webhook\n  enable: true\n  url: ${url}/${name}\n${policy
    .split('\n')
    .filter(Boolean)
    .map((line) => `  ${line}`)
    .join('\n')}\n`
}

function countByPath(fake: HttpFake): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const request of fake.requests) counts[request.path.slice(1)] = (counts[request.path.slice(1)] ?? 0) + 1
  return counts
}

// A webhook fake that checks what a JSON webhook receiver would: method, content type, valid JSON.
function jsonReceiver(): HttpFake {
  return new HttpFake((request) => {
    if (request.method !== 'POST') return { status: 405 }
    if (request.headers['content-type'] !== 'application/json') return { status: 415 }
    try {
      JSON.parse(request.body)
    } catch {
      return { status: 400, body: 'invalid JSON' }
    }
    return { status: 200, body: 'ok' }
  })
}

describe('the pipeline end to end (ingest and dispatcher processes, Postgres, Redis)', function () {
  this.timeout(90_000)

  describe("Postee's routing expectations on the five mock scans", () => {
    const expected: Record<string, [string, number]> = {
      'image-name': ['Policy-Image-Name: [image1, image2]', 2],
      registry: ['Policy-Registry: [registry5, REGistry4, Registry3]', 3],
      'ignore-registry': ['Ignore-Registry: [registry5, REGistry4, Registry3]', 2],
      'ignore-image': ['Ignore-Image-Name: [image1, image2]', 3],
      'min-critical': ['Policy-Min-Vulnerability: critical', 1],
      'min-high': ['Policy-Min-Vulnerability: high', 2],
      'min-medium': ['Policy-Min-Vulnerability: Medium', 3],
      'min-low': ['policy-min-vulnerability: low', 4],
      'min-negligible': ['Policy-Min-Vulnerability: negligible', 5],
      'non-compliant': ['Policy-Non-Compliant: true', 4],
      everything: ['', 5],
    }
    let fake: HttpFake
    let stack: Stack

    before(async () => {
      fake = await jsonReceiver().start()
      const config = Object.entries(expected)
        .map(([name, [policy]]) => webhook(name, fake.url, policy))
        .join('')
      stack = await startStack({ config: `- name: common\n  type: common\n  AquaServer: https://aqua.example.com\n${config}` })
    })
    after(async () => {
      await stack?.stop()
      await fake?.stop()
    })

    it('sends each integration exactly the scans its policy passes', async () => {
      const url = stack.ingestUrls[0]!
      for (let i = 1; i <= 5; i++) {
        const { status, json } = await post(url, readFixture(`extracted/v1-aggregatescan_test.mockScan${i}.json`))
        expect(status, JSON.stringify(json)).to.equal(202)
        expect(json.outcome).to.equal('new')
      }
      const total = Object.values(expected).reduce((sum, [, count]) => sum + count, 0)
      const deliveries = await settledDeliveries(url, total)
      expect(deliveries.every((d) => d.status === 'sent')).to.equal(true)
      await fake.waitForRequests(total)
      expect(countByPath(fake)).to.deep.equal(Object.fromEntries(Object.entries(expected).map(([name, [, count]]) => [name, count])))
    })
  })

  describe('fix availability, severities, rescans and diffs', () => {
    let fake: HttpFake
    let stack: Stack
    const config = (url: string) =>
      [
        webhook('only-fix', url, 'Policy-Only-Fix-Available: true\nPolicy-Registry: registry5'),
        webhook('alpine-critical', url, 'Policy-Min-Vulnerability: critical\nPolicy-Registry: Docker Hub'),
        webhook('alpine-high', url, 'Policy-Min-Vulnerability: high\nPolicy-Registry: Docker Hub'),
        webhook('alpine-medium', url, 'Policy-Min-Vulnerability: medium\nPolicy-Registry: Docker Hub'),
        webhook('alpine-low', url, 'Policy-Min-Vulnerability: low\nPolicy-Registry: Docker Hub'),
        webhook('alpine-negligible', url, 'Policy-Min-Vulnerability: negligible\nPolicy-Registry: Docker Hub'),
        webhook('all-aqua', url, 'Policy-Registry: Aqua'),
        webhook('show-all', url, 'Policy-Show-All: true\nPolicy-Registry: Aqua'),
      ].join('')

    before(async () => {
      fake = await jsonReceiver().start()
      stack = await startStack({ config: config(fake.url), ingests: 2 })
    })
    after(async () => {
      await stack?.stop()
      await fake?.stop()
    })

    it('routes fix availability and minimum severity as Postee did', async () => {
      const url = stack.ingestUrls[0]!
      for (const name of [
        'v1-settings_test.mockScanWithFix.json',
        'v1-settings_test.mockScanWithoutFix.json',
        'v1-scanservice_test.AlpineImageSource.json',
      ]) {
        expect((await post(url, readFixture(`extracted/${name}`))).status).to.equal(202)
      }
      await settledDeliveries(url, 4)
      await fake.waitForRequests(4)
      expect(countByPath(fake)).to.deep.equal({ 'only-fix': 1, 'alpine-medium': 1, 'alpine-low': 1, 'alpine-negligible': 1 })
    })

    it('forwards the original payload unchanged, with the delivery id header', async () => {
      const alpine = fake.requests.find((r) => r.path === '/alpine-medium')!
      expect(alpine.body).to.equal(readFixture('extracted/v1-scanservice_test.AlpineImageSource.json').toString('utf8'))
      const { deliveries } = (await (await adminFetch(`${stack.ingestUrls[0]}/api/deliveries?output=alpine-medium`)).json()) as {
        deliveries: any[]
      }
      expect(alpine.headers['x-postee-delivery']).to.equal(deliveries[0].id)
    })

    it('suppresses an unchanged rescan (unless Policy-Show-All) and diffs a swapped CVE', async () => {
      fake.requests.length = 0
      const [url, otherIngest] = stack.ingestUrls as [string, string]
      const json = readFixtureJson<any>('aqua-input.json')
      const first = await post(url, JSON.stringify(json))
      expect(first.json.outcome).to.equal('new')
      expect(first.json.deliveries.map((d: any) => d.output).sort()).to.deep.equal(['all-aqua', 'show-all'])
      const again = await post(otherIngest, JSON.stringify(json))
      expect(again.status).to.equal(202)
      expect(again.json.outcome).to.equal('unchanged')
      expect(again.json.deliveries.map((d: any) => d.output)).to.deep.equal(['show-all'])
      expect(again.json.id).to.not.equal(first.json.id)

      json.resources[0].vulnerabilities[0].name = 'CVE-2099-0001'
      const swapped = await post(url, JSON.stringify(json))
      expect(swapped.json.outcome).to.equal('changed')
      const scan = (await (await adminFetch(`${url}/api/scans/${swapped.json.id}`)).json()) as any
      expect(scan.diff).to.include({ added: 1, fixed: 1 })
      expect(scan.base.digest).to.equal(json.digest)
      await fake.waitForRequests(5)
      expect(countByPath(fake)).to.deep.equal({ 'all-aqua': 2, 'show-all': 3 })
      const deliveries = await settledDeliveries(url, 5)
      expect(deliveries.filter((d) => d.scan === swapped.json.id).map((d) => d.status)).to.deep.equal(['sent', 'sent'])
    })

    it('decides one "new" when two ingest processes receive the same scan at the same moment', async () => {
      const json = readFixtureJson<any>('aqua-input.json')
      json.image = `race:${Date.now()}`
      const body = JSON.stringify(json)
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => post(stack.ingestUrls[i % 2]!, body)))
      expect(answers.map((a) => a.status)).to.deep.equal(Array(10).fill(202))
      expect(answers.filter((a) => a.json.outcome === 'new')).to.have.length(1)
      expect(answers.filter((a) => a.json.outcome === 'unchanged')).to.have.length(9)
    })
  })
})
