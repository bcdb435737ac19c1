import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { freePort, readFixture, startProcess, type ServiceProcess } from '../src/index.js'

const TOOLS = new URL('../../../tools/', import.meta.url)

// tools/*.mjs are plain JavaScript run by node; imported by URL so the type check leaves them be.
async function localPorts(): Promise<{ DEFAULT_ECHO_SINK: string; exampleWebhookUrl: (echoSink?: string) => string }> {
  return import(new URL('local-ports.mjs', TOOLS).href)
}

async function waitFor(service: ServiceProcess, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const match = pattern.exec(service.output())
    if (match) return match[0]
    if (service.child.exitCode !== null) throw new Error(`exited with ${service.child.exitCode}:\n${service.output()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${service.output()}`)
}

describe('quick start: one ECHO_SINK setting moves the sink and the example webhook together', () => {
  const cases: [string | undefined, string][] = [
    [undefined, 'http://127.0.0.1:8099/postee'],
    ['127.0.0.1:9100', 'http://127.0.0.1:9100/postee'],
    ['0.0.0.0:9101', 'http://127.0.0.1:9101/postee'],
    [':9102', 'http://127.0.0.1:9102/postee'],
    ['[::]:9103', 'http://127.0.0.1:9103/postee'],
    ['sink.local:9104', 'http://sink.local:9104/postee'],
  ]
  for (const [echoSink, url] of cases) {
    it(`${echoSink ?? '(unset)'} → ${url}`, async () => {
      expect((await localPorts()).exampleWebhookUrl(echoSink)).to.equal(url)
    })
  }
})

describe('echo sink (a real process): names the image of every source', () => {
  let sink: ServiceProcess
  let url: string
  before(async () => {
    const port = await freePort()
    sink = startProcess(fileURLToPath(new URL('echo-sink.mjs', TOOLS)), { ECHO_SINK: `127.0.0.1:${port}` })
    await waitFor(sink, /listening on http:\/\/127\.0\.0\.1:\d+/)
    url = (await localPorts()).exampleWebhookUrl(`127.0.0.1:${port}`)
  })
  after(async () => {
    await sink?.stop()
  })

  const cases: [string, string, RegExp][] = [
    ['Aqua', 'aqua-input.json', /delivery=aqua-1 Aqua\/[^\s,]+:\S+\n/],
    ['Trivy', 'trivy-input.json', /delivery=trivy-1 \S+\/\S+\n/],
    ['Trivy Operator', 'trivy-operator-input.json', /delivery=operator-1 \S+\/\S+\n/],
  ]
  for (const [source, fixture, line] of cases) {
    it(source, async () => {
      const id = line.source.match(/delivery=(\S+?) /)![1]!
      const response = await fetch(url, {
        method: 'POST',
        body: readFixture(fixture),
        headers: { 'content-type': 'application/json', 'x-postee-delivery': id },
      })
      expect(response.status).to.equal(200)
      const printed = await waitFor(sink, line)
      expect(printed).to.not.include('undefined')
    })
  }

  it('an aggregated batch (a JSON array of payloads): every image, in order', async () => {
    const batch = `[${readFixture('aqua-input.json').toString()},${readFixture('trivy-input.json').toString()}]`
    await fetch(url, { method: 'POST', body: batch, headers: { 'content-type': 'application/json', 'x-postee-delivery': 'batch-1' } })
    const printed = await waitFor(sink, /delivery=batch-1 .*\n/)
    expect(printed)
      .to.match(/delivery=batch-1 Aqua\/\S+, \S+\/\S+\n/)
      .and.not.include('undefined')
  })
})
