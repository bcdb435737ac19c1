import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { HttpFake } from '@postee/testkit'
import { run } from '../src/cli.js'

/** `postee test-send` against an HTTP fake on loopback: one real send, past policies and the queue. */
const SECRET = 'test-send-s3cr3t-key'

function configFor(fakeUrl: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'postee-test-send-')), 'cfg.yaml')
  writeFileSync(
    path,
    `- name: hook
  type: webhook
  enable: true
  url: ${fakeUrl}/hook/${SECRET}
  Policy-Min-Vulnerability: critical
  Ignore-Image-Name: ["postee/*"]
- name: chat
  type: slack
  enable: true
  url: ${fakeUrl}/services/T0000000/B0000000/${SECRET}
- name: quiet
  type: slack
  enable: false
  url: ${fakeUrl}/services/T0000000/B0000000/off
`,
  )
  return path
}

function captureIo() {
  const out: string[] = []
  const err: string[] = []
  return { io: { env: {}, out: (line: string) => out.push(line), err: (line: string) => err.push(line) }, out, err }
}

describe('postee test-send', () => {
  let fake: HttpFake
  let config: string
  beforeEach(async () => {
    fake = await new HttpFake(() => ({ status: 200, body: 'ok' })).start()
    config = configFor(fake.url)
  })
  afterEach(async () => fake.stop())

  it('sends the sample through a webhook now, past its policies, and says so', async () => {
    const { io, out } = captureIo()
    expect(await run(['test-send', 'hook', '--config', config], io)).to.equal(0)
    expect(out).to.have.length(1)
    expect(out[0]).to.match(/^sent: ok in \d+ ms$/)
    const [request] = fake.requests
    expect(request!.path).to.equal(`/hook/${SECRET}`)
    const body = JSON.parse(request!.body)
    expect(body).to.include({ image: 'postee/test-send:latest', registry: 'Postee test' })
    const names = body.resources.flatMap((r: { vulnerabilities: { name: string }[] }) => r.vulnerabilities.map((v) => v.name))
    expect(names).to.have.length(3)
  })

  it('sends a Slack message of the sample with its three severities', async () => {
    const { io, out } = captureIo()
    expect(await run(['test-send', 'chat', '--config', config], io)).to.equal(0)
    expect(out[0]).to.match(/^sent: ok in \d+ ms$/)
    const message = JSON.parse(fake.requests[0]!.body)
    expect(message.text).to.include('postee/test-send:latest')
    expect(JSON.stringify(message.blocks)).to.include('POSTEE-TEST-0001').and.include('POSTEE-TEST-0003')
  })

  it('a 500 → exit 1 with the reason and whether a retry helps, and no secret', async () => {
    fake.respondWith((request) => ({ status: 500, body: `internal error at ${request.path} (key ${SECRET})` }))
    const { io, out, err } = captureIo()
    expect(await run(['test-send', 'hook', '--config', config], io)).to.equal(1)
    expect(out).to.deep.equal([])
    expect(err).to.have.length(1)
    expect(err[0]).to.match(/^failed: server-error, retryable true: HTTP 500: internal error at /)
    expect(err[0]).to.not.include(SECRET)
  })

  it('an unknown integration → exit 2, listing the enabled ones', async () => {
    const { io, err } = captureIo()
    expect(await run(['test-send', 'nope', '--config', config], io)).to.equal(2)
    expect(err.join('\n')).to.equal('postee test-send: no enabled integration named "nope"; enabled: hook, chat')
    expect(fake.requests).to.have.length(0)
  })

  it('a disabled integration → exit 2, saying it exists but is disabled and how to enable it', async () => {
    const { io, err } = captureIo()
    expect(await run(['test-send', 'quiet', '--config', config], io)).to.equal(2)
    expect(err.join('\n')).to.equal(
      'postee test-send: the integration "quiet" exists but is disabled (enable: false, or no enable key); set `enable: true` on it in the config file to send through it',
    )
    expect(fake.requests).to.have.length(0)
  })

  it('no integration named → exit 2 with the usage', async () => {
    const { io, err } = captureIo()
    expect(await run(['test-send', '--config', config], io)).to.equal(2)
    expect(err.join('\n')).to.include('postee test-send INTEGRATION [--config FILE]')
  })
})
