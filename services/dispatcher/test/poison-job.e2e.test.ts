import { expect } from 'chai'
import { HttpFake, adminFetch, readFixture, startStack, type FakeResponse, type ServiceProcess, type Stack } from '@postee/testkit'

// A dispatcher that dies while sending: the target's fake SIGKILLs every running dispatcher as a
// request arrives (as an out-of-memory crash would end it), and the test starts a new one whenever
// none runs, as Kubernetes would. Short locks so a killed worker's job is taken back in ~1.5 s.
const TUNING = { POSTEE_LOCK_DURATION_MS: '1000', POSTEE_STALLED_INTERVAL_MS: '500', POSTEE_LOG_LEVEL: 'info' }

function alive(stack: Stack): ServiceProcess[] {
  return stack.dispatchers.filter((d) => d.child.exitCode === null && d.child.signalCode === null)
}

async function deliveries(stack: Stack): Promise<any[]> {
  return ((await (await adminFetch(`${stack.ingestUrls[0]}/api/deliveries?output=hook`)).json()) as { deliveries: any[] }).deliveries
}

/** Keeps one dispatcher running (restarting killed ones) until `predicate` holds on the delivery. */
async function superviseUntil(stack: Stack, predicate: (row: any) => boolean, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const [row] = await deliveries(stack)
    if (row && predicate(row)) return row
    if (Date.now() > deadline) throw new Error(`timed out; delivery: ${JSON.stringify(row)}`)
    if (alive(stack).length === 0) await stack.startDispatcher()
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('a delivery that kills its worker (real dispatcher processes, SIGKILL mid-send)', function () {
  this.timeout(120_000)
  let stack: Stack
  let kills = 0
  let poisoned = 0
  const killer = (): FakeResponse => {
    kills += 1
    for (const d of alive(stack)) d.child.kill('SIGKILL')
    return { status: 200, hang: true }
  }
  const target = new HttpFake((_request, index) => (index < poisoned ? killer() : { status: 200, body: 'ok' }))

  beforeEach(async () => {
    kills = 0
    target.requests.length = 0
    await target.start()
    const config = `- name: hook\n  type: webhook\n  enable: true\n  url: ${target.url}/hook\n  timeout: 30s\n`
    stack = await startStack({ config, dispatchers: 1, env: TUNING })
  })
  afterEach(async () => {
    await stack?.stop()
    await target.stop()
  })

  it('one SIGKILL while sending: the next dispatcher sends it (at-least-once), not dead', async () => {
    poisoned = 1
    const body = readFixture('aqua-input.json')
    expect((await fetch(`${stack.ingestUrls[0]}/scan`, { method: 'POST', body })).status).to.equal(202)
    const row = await superviseUntil(stack, (r) => r.status === 'sent' || r.status === 'dead')
    expect(row).to.include({ status: 'sent', attempts: 2 })
    expect(kills).to.equal(1)
    expect(target.requests).to.have.length(2)
  })

  it('a dispatcher killed at every send: dead after 3 stalls with the reason, and a replay sends it once the target behaves', async () => {
    poisoned = Infinity
    const body = readFixture('aqua-input.json')
    expect((await fetch(`${stack.ingestUrls[0]}/scan`, { method: 'POST', body })).status).to.equal(202)
    const dead = await superviseUntil(stack, (r) => r.status === 'dead' || r.status === 'sent')
    expect(dead.status).to.equal('dead')
    expect(dead.lastError).to.match(/^the worker stopped while sending, 3 times/)
    expect(kills).to.equal(3)
    expect(target.requests).to.have.length(3)
    // The surviving dispatcher has taken the job back and left it alone.
    expect(alive(stack)).to.have.length.greaterThan(0)
    const listed = ((await (await adminFetch(`${stack.ingestUrls[0]}/api/deliveries?status=dead`)).json()) as { deliveries: any[] })
      .deliveries
    expect(listed.map((d) => d.id)).to.deep.equal([dead.id])

    poisoned = 0
    const replay = await adminFetch(`${stack.ingestUrls[0]}/api/deliveries/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [dead.id] }),
    })
    expect(await replay.json()).to.include({ replayed: 1 })
    const sent = await superviseUntil(stack, (r) => r.status === 'sent')
    expect(sent.attempts).to.equal(1)
    expect(target.requests).to.have.length(4)
    expect(kills).to.equal(3)
  })
})
