import { createHash } from 'node:crypto'
import { expect } from 'chai'
import { HttpFake, adminFetch, largeAquaScanBody, startStack, type Stack } from '@postee/testkit'
import { FakeJira } from '../src/outputs/jira/jira-fake.testkit.js'
import { SmtpFake } from '../src/outputs/email/smtp-fake.testkit.js'
import { TableApiFake } from '../src/outputs/servicenow/table-api-fake.testkit.js'
import { slackWebhook } from '../src/outputs/slack/slack-fake.testkit.js'
import { hecFake } from '../src/outputs/splunk/hec-fake.testkit.js'
import { workflowsWebhook } from '../src/outputs/teams/teams-fake.testkit.js'

// The images' heap limit (Dockerfile: NODE_OPTIONS=--max-old-space-size=160), for both processes.
const HEAP_LIMIT = { NODE_OPTIONS: '--max-old-space-size=160', POSTEE_LOG_LEVEL: 'info' }
// About 20 MB: inside the default 20 MB body limit (Max-Body-Size).
const FINDINGS = 85_000
const OUTPUTS = ['hook', 'chat', 'teams', 'jira', 'splunk', 'sn', 'mail'] as const

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex')

describe("a scan at the body limit under the images' heap limit (real ingest and dispatcher processes)", function () {
  this.timeout(240_000)
  const hook = new HttpFake()
  const slack = new HttpFake(slackWebhook('/slack'))
  const teams = new HttpFake(workflowsWebhook('/teams'))
  const jira = new FakeJira({
    deployment: 'server',
    authorization: `Basic ${Buffer.from('bot@example.com:jira-t0ken').toString('base64')}`,
  })
  const splunk = new HttpFake(hecFake({ token: 'hec-t0ken', sizeLimit: 10_000 }))
  const serviceNow = new TableApiFake('sn-user', 'sn-p4ss')
  const snHttp = new HttpFake(serviceNow.handler)
  const smtp = new SmtpFake()
  let stack: Stack

  before(async () => {
    await Promise.all([hook.start(), slack.start(), teams.start(), jira.start(), splunk.start(), snHttp.start(), smtp.start()])
    const config = [
      `- name: hook\n  type: webhook\n  enable: true\n  url: ${hook.url}/hook\n  timeout: 60s`,
      `- name: chat\n  type: slack\n  enable: true\n  url: ${slack.url}/slack\n  rate-limit: off`,
      `- name: teams\n  type: teams\n  enable: true\n  format: adaptive\n  url: ${teams.url}/teams\n  rate-limit: off`,
      `- name: jira\n  type: jira\n  enable: true\n  url: ${jira.http.url}\n  user: bot@example.com\n  password: jira-t0ken\n  project_key: VUL\n  api_version: 2`,
      `- name: splunk\n  type: splunk\n  enable: true\n  url: ${splunk.url}\n  token: hec-t0ken`,
      `- name: sn\n  type: serviceNow\n  enable: true\n  instance: ${snHttp.url}\n  user: sn-user\n  password: sn-p4ss`,
      `- name: mail\n  type: email\n  enable: true\n  host: 127.0.0.1\n  port: ${smtp.port}\n  sender: postee@example.com\n  recipients: [secops@example.com]`,
    ].join('\n')
    stack = await startStack({ config: `${config}\n`, env: HEAP_LIMIT })
  })
  after(async () => {
    await stack?.stop()
    await Promise.all([hook.stop(), slack.stop(), teams.stop(), jira.http.stop(), splunk.stop(), snHttp.stop(), smtp.stop()])
  })

  function expectAlive(): void {
    for (const service of [...stack.ingests, ...stack.dispatchers]) {
      expect(service.child.exitCode, service.output().slice(-2_000)).to.equal(null)
      expect(service.child.signalCode, service.output().slice(-2_000)).to.equal(null)
      expect(service.output()).not.to.include('heap out of memory')
    }
  }

  async function post(body: Buffer): Promise<Response> {
    return fetch(`${stack.ingestUrls[0]}/scan`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
  }

  async function untilSent(scanId: string, timeoutMs = 120_000): Promise<any[]> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const rows = ((await (await adminFetch(`${stack.ingestUrls[0]}/api/deliveries?scan=${scanId}`)).json()) as { deliveries: any[] })
        .deliveries
      if (rows.length === OUTPUTS.length && rows.every((r) => r.status === 'sent')) return rows
      if (rows.some((r) => r.status === 'failed' || r.status === 'dead') || Date.now() > deadline) {
        throw new Error(`deliveries of ${scanId}: ${JSON.stringify(rows.map((r) => [r.output, r.status, r.attempts, r.lastError]))}`)
      }
      expectAlive()
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }

  it(`accepts an Aqua scan of ${FINDINGS} findings (about 20 MB) and delivers it to every output`, async () => {
    const body = largeAquaScanBody(FINDINGS, 'huge-one')
    expect(body.length).to.be.within(19_000_000, 20 * 1024 * 1024)
    const answer = await post(body)
    expect(answer.status, await answer.clone().text()).to.equal(202)
    const { id } = (await answer.json()) as { id: string }
    const rows = await untilSent(id)
    expect(rows.map((r) => r.output).sort()).to.deep.equal([...OUTPUTS].sort())
    // The webhook forwards the body unchanged, byte for byte.
    const forwarded = hook.requests.find((r) => r.path === '/hook')!
    expect(sha256(forwarded.body)).to.equal(sha256(body))
    // Renderers show the most severe rows and count the rest: kept + N = every finding.
    const message = JSON.parse(slack.requests.at(-1)!.body) as { text: string; blocks: unknown[] }
    const text = JSON.stringify(message.blocks)
    const more = /and (\d+) more vulnerabilities/.exec(text)
    expect(more, text.slice(0, 500)).to.not.equal(null)
    expect(text).to.include('Critical')
    expect(jira.issues).to.have.length(1)
    expect(smtp.received).to.have.length(1)
    expectAlive()
  })

  it('a rescan of it with another digest and every finding replaced (the largest diff): `changed`, diffed, delivered', async () => {
    const answer = await post(largeAquaScanBody(FINDINGS, 'huge-one', 'huge-one-v2', 8_500))
    expect(answer.status, await answer.clone().text()).to.equal(202)
    const { id, outcome } = (await answer.json()) as { id: string; outcome: string }
    expect(outcome).to.equal('changed')
    await untilSent(id)
    const scan = (await (await adminFetch(`${stack.ingestUrls[0]}/api/scans/${id}`)).json()) as { diff: { added: number; fixed: number } }
    expect(scan.diff).to.include({ added: FINDINGS, fixed: FINDINGS })
    const message = JSON.stringify((JSON.parse(slack.requests.at(-1)!.body) as { blocks: unknown[] }).blocks)
    expect(message).to.match(/and \d+ more new findings/)
    expectAlive()
  })

  it('two such scans at once: each is accepted or refused with 503 and Retry-After, and all are delivered', async () => {
    const bodies = [largeAquaScanBody(FINDINGS, 'huge-two'), largeAquaScanBody(FINDINGS, 'huge-three')]
    const answers = await Promise.all(bodies.map(post))
    const statuses = answers.map((a) => a.status).sort()
    expect(statuses).to.satisfy((s: number[]) => s.every((status) => status === 202 || status === 503) && s.includes(202))
    const ids: string[] = []
    for (const [i, answer] of answers.entries()) {
      if (answer.status === 503) {
        expect(answer.headers.get('retry-after')).to.match(/^\d+$/)
        expect(((await answer.json()) as { error: string }).error).to.match(/busy/)
        // The sender retries after Retry-After, as Aqua and curl --retry do.
        let retried = answer
        while (retried.status === 503) {
          await new Promise((resolve) => setTimeout(resolve, Number(retried.headers.get('retry-after')) * 1000))
          retried = await post(bodies[i]!)
        }
        expect(retried.status).to.equal(202)
        ids.push(((await retried.json()) as { id: string }).id)
      } else {
        ids.push(((await answer.json()) as { id: string }).id)
      }
    }
    for (const id of ids) await untilSent(id)
    const hashes = hook.requests.filter((r) => r.path === '/hook').map((r) => sha256(r.body))
    for (const body of bodies) expect(hashes).to.include(sha256(body))
    expectAlive()
  })
})
