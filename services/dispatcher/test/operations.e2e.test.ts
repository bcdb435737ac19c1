import { writeFileSync } from 'node:fs'
import { expect } from 'chai'
import { HttpFake, adminFetch, readFixture, startStack, waitFor, type Stack } from '@postee/testkit'

const hook = (name: string, url: string) => `- name: ${name}\n  type: webhook\n  enable: true\n  url: ${url}/${name}\n`

async function post(url: string, image: string): Promise<any> {
  const json = JSON.parse(readFixture('aqua-input.json').toString('utf8'))
  json.image = image
  const response = await fetch(`${url}/scan`, {
    method: 'POST',
    body: JSON.stringify(json),
    headers: { 'content-type': 'application/json' },
  })
  return response.json()
}

/** How many times a process has logged `message` so far. */
function count(output: string, message: RegExp): number {
  return output.split('\n').filter((line) => message.test(line)).length
}

describe('operations: config reload and metrics (processes)', function () {
  this.timeout(60_000)
  let fake: HttpFake
  let stack: Stack

  before(async () => {
    fake = await new HttpFake(() => ({ status: 200 })).start()
    stack = await startStack({ config: hook('first', fake.url) })
  })
  after(async () => {
    await stack?.stop()
    await fake?.stop()
  })

  it('SIGHUP reloads cfg.yaml in both services: a new output gets deliveries and a worker', async () => {
    writeFileSync(stack.env.AQUAALERT_CFG!, hook('first', fake.url) + hook('second', fake.url))
    const services = [...stack.ingests, ...stack.dispatchers]
    const before = services.map((service) => count(service.output(), /config reloaded/))
    for (const service of services) service.child.kill('SIGHUP')
    await waitFor(() => services.every((service, i) => count(service.output(), /config reloaded/) > before[i]!), {
      what: 'every process to log "config reloaded"',
    })
    const answer = await post(stack.ingestUrls[0]!, 'reload:1')
    expect(answer.deliveries.map((d: any) => d.output).sort()).to.deep.equal(['first', 'second'])
    await fake.waitForRequests(2)
    expect(fake.requests.map((r) => r.path).sort()).to.deep.equal(['/first', '/second'])
  })

  it('refuses an invalid new config with its problems, and keeps the old one in force', async () => {
    writeFileSync(stack.env.AQUAALERT_CFG!, `${hook('first', fake.url)}  Policy-Min-Vulnerabilty: high\n`)
    const response = await adminFetch(`${stack.ingestUrls[0]}/api/reload`, { method: 'POST' })
    expect(response.status).to.equal(422)
    const body = (await response.json()) as { applied: boolean; problems: string[] }
    expect(body.applied).to.equal(false)
    expect(body.problems.join('\n')).to.match(/first › Policy-Min-Vulnerabilty: unknown key.*did you mean Policy-Min-Vulnerability/)
    const dispatcher = stack.dispatchers[0]!
    const refusals = count(dispatcher.output(), /the configuration is invalid/)
    dispatcher.child.kill('SIGHUP')
    await waitFor(() => count(dispatcher.output(), /the configuration is invalid/) > refusals, {
      what: 'the dispatcher to refuse the invalid config',
    })
    expect(dispatcher.child.exitCode).to.equal(null)
    const answer = await post(stack.ingestUrls[0]!, 'reload:2')
    expect(answer.deliveries.map((d: any) => d.output).sort()).to.deep.equal(['first', 'second'])
  })

  it('exposes the metric families on both services', async () => {
    await fetch(`${stack.ingestUrls[0]}/scan`, { method: 'POST', body: 'not json' })
    const ingest = await (await fetch(`${stack.ingestUrls[0]}/metrics`)).text()
    for (const family of [
      'postee_scans_received_total{outcome="new"}',
      'postee_scans_rejected_total{reason="invalid"}',
      'process_resident_memory_bytes',
    ]) {
      expect(ingest).to.include(family)
    }
    const dispatcherMetrics = await (await fetch(`${stack.dispatcherUrls[0]}/metrics`)).text()
    for (const family of [
      'postee_deliveries_total{output="first",status="sent"}',
      'postee_delivery_latency_seconds_bucket{le="0.05",output="first"}',
      'postee_queue_jobs{output="first",state="waiting"}',
      'postee_queue_oldest_waiting_seconds{output="second"}',
      'postee_config_reloads_total{result="applied"}',
      'postee_config_reloads_total{result="refused"}',
    ]) {
      expect(dispatcherMetrics).to.include(family)
    }
  })
})

describe('operations: tls_verify: false is explicit and logged', function () {
  this.timeout(60_000)

  it('both services warn at start, naming the output', async () => {
    const stack = await startStack({
      config: `- name: lab\n  type: webhook\n  enable: true\n  url: https://127.0.0.1:9/lab\n  tls_verify: false\n`,
    })
    try {
      const warning = /"output":"lab".*tls_verify is false|tls_verify is false.*"output":"lab"/
      expect(stack.ingests[0]!.output()).to.match(warning)
      expect(stack.dispatchers[0]!.output()).to.match(warning)
    } finally {
      await stack.stop()
    }
  })
})
