import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { expect } from 'chai'
import { HttpFake, adminFetch, readFixtureJson, startStack, waitFor, type Stack } from '@postee/testkit'

const TESTDATA = new URL('../../../packages/shared/src/scan/testdata/', import.meta.url)
const testdata = (name: string) => readFileSync(new URL(name, TESTDATA), 'utf8')

async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/scan`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })
  return { status: response.status, json: (await response.json()) as any }
}

/** A VulnerabilityReport of the fixture's image as the operator would send it for another workload. */
function reportFromWorkload(i: number): string {
  const report = readFixtureJson<any>('trivy-operator-input.json')
  report.metadata.name = `replicaset-web-${i}-app`
  report.metadata.namespace = `team-${i}`
  report.metadata.labels['trivy-operator.resource.namespace'] = `team-${i}`
  report.metadata.labels['trivy-operator.resource.name'] = `web-${i}`
  report.metadata.labels['trivy-operator.container.name'] = 'app'
  return JSON.stringify(report)
}

describe('Trivy and Trivy Operator inputs end to end (processes, Postgres, Redis)', function () {
  this.timeout(60_000)
  let fake: HttpFake
  let slack: HttpFake
  let stack: Stack

  before(async () => {
    fake = await new HttpFake(() => ({ status: 200 })).start()
    // A Slack incoming webhook: JSON with blocks and a text fallback, answered `ok`.
    slack = await new HttpFake((request) => {
      const message = JSON.parse(request.body) as { text?: unknown; blocks?: unknown[] }
      return typeof message.text === 'string' && Array.isArray(message.blocks) && message.blocks.length <= 50
        ? { status: 200, body: 'ok' }
        : { status: 400, body: 'invalid_blocks' }
    }).start()
    const hook = (name: string, policy: string) =>
      `- name: ${name}\n  type: webhook\n  enable: true\n  url: ${fake.url}/${name}\n  ${policy}\n`
    stack = await startStack({
      config: [
        hook('docker-hub', 'Policy-Registry: docker.io'),
        hook('alpine-only', 'Policy-Image-Name: alpine'),
        hook('critical', 'Policy-Min-Vulnerability: critical'),
        hook('needs-compliance', 'Policy-Non-Compliant: true'),
        hook('fixable', 'Policy-Only-Fix-Available: true'),
        `- name: chat\n  type: slack\n  enable: true\n  url: ${slack.url}/services/T0/B0/x\n  Policy-Image-Name: nginx\n`,
      ].join(''),
    })
  })
  after(async () => {
    await stack?.stop()
    await fake?.stop()
    await slack?.stop()
  })

  it('routes a `trivy image --format json` report by the same policies, gzipped too, and diffs a rescan', async () => {
    const url = stack.ingestUrls[0]!
    const report = testdata('trivy-image-alpine.json')
    const first = await post(url, gzipSync(report), { 'content-encoding': 'gzip' })
    expect(first.status).to.equal(202)
    expect(first.json.outcome).to.equal('new')
    expect(first.json.deliveries.map((d: any) => d.output).sort()).to.deep.equal(['alpine-only', 'critical', 'docker-hub', 'fixable'])
    const scan = await (await adminFetch(`${url}/api/scans/${first.json.id}`)).json()
    expect(scan).to.include({ source: 'trivy', registry: 'docker.io', image: 'alpine:3.10' })

    expect((await post(url, report)).json.outcome).to.equal('unchanged')
    const changed = JSON.parse(report)
    changed.Results[0].Vulnerabilities.pop()
    const rescan = await post(url, JSON.stringify(changed))
    expect(rescan.json.outcome).to.equal('changed')
    const diff = (await (await adminFetch(`${url}/api/scans/${rescan.json.id}`)).json()) as any
    expect(diff.diff).to.include({ added: 0, fixed: 1 })
  })

  it('forces the source with ?source= and refuses a body of no known shape, listing the shapes', async () => {
    const url = stack.ingestUrls[0]!
    const forced = await fetch(`${url}/scan?source=trivy`, { method: 'POST', body: '{"image":"x","registry":"y"}' })
    expect(forced.status).to.equal(400)
    const unknown = await post(url, '{"hello":"world"}')
    expect(unknown.status).to.equal(400)
    expect(unknown.json.error).to.match(/Aqua image scan.*Trivy.*VulnerabilityReport/s)
  })

  it('ten workloads reporting one image → one delivery per integration, and the scan lists all ten', async () => {
    const url = stack.ingestUrls[0]!
    const answers = []
    for (let i = 1; i <= 10; i++) answers.push(await post(url, reportFromWorkload(i)))
    expect(answers.map((a) => a.status)).to.deep.equal(Array(10).fill(202))
    expect(answers.map((a) => a.json.outcome)).to.deep.equal(['new', ...Array(9).fill('unchanged')])
    const deliveries = answers.flatMap((a) => a.json.deliveries.map((d: any) => d.output)).sort()
    // nginx:1.16 from docker.io: not alpine; the operator reports no compliance; one finding has a fix.
    expect(deliveries).to.deep.equal(['chat', 'critical', 'docker-hub', 'fixable'])
    const scan = (await (await adminFetch(`${url}/api/scans/${answers[9]!.json.id}`)).json()) as any
    expect(scan.source).to.equal('trivy-operator')
    expect(scan.workloads.map((w: any) => `${w.namespace}/${w.name}`).sort()).to.deep.equal(
      Array.from({ length: 10 }, (_, i) => `team-${i + 1}/web-${i + 1}`).sort(),
    )
    const ids = new Set(answers.flatMap((a) => a.json.deliveries.map((d: any) => d.id)))
    const ours = () => fake.requests.filter((r) => ids.has(r.headers['x-postee-delivery'] as string))
    // Every delivery of these scans is sent (a sent delivery is never sent again), so the request
    // counts below are final.
    await waitFor(
      async () => {
        const { deliveries: rows } = (await (await adminFetch(`${url}/api/deliveries?limit=1000`)).json()) as { deliveries: any[] }
        const mine = rows.filter((d) => ids.has(d.id))
        return mine.length === ids.size && mine.every((d) => d.status === 'sent')
      },
      { what: 'every delivery of the ten reports to be sent' },
    )
    expect(ours()).to.have.length(3)
    // Slack got one message for the image: its Trivy findings with advisory links, and the workloads.
    expect(slack.requests).to.have.length(1)
    const message = slack.requests[0]
    const text = message!.body
    expect(text).to.include('nginx:1.16 vulnerability scan report')
    expect(text).to.match(/CVE-\d{4}-\d+/)
    expect(text).to.include('team-1')
  })
})
