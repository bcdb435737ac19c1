import { expect } from 'chai'
import { HttpFake, TcpProxy, adminFetch, logLines, nonJsonStderr, readFixture, startStack, timedFetch, waitFor } from '@postee/testkit'

function scanBody(image: string): string {
  const json = JSON.parse(readFixture('aqua-input.json').toString('utf8'))
  json.image = image
  return JSON.stringify(json)
}

async function deliveriesOf(url: string, scan: string): Promise<{ id: string; status: string; attempts: number }[]> {
  return (
    (await (await adminFetch(`${url}/api/deliveries?scan=${scan}`)).json()) as {
      deliveries: { id: string; status: string; attempts: number }[]
    }
  ).deliveries
}

describe('dispatcher when its Postgres is partitioned (connections held, nothing answered)', function () {
  this.timeout(120_000)

  it('the ledger waits and retries without marking anything; after healing the delivery is recorded sent; the process never dies', async () => {
    const fake = await new HttpFake(() => ({ status: 200, body: 'ok', delayMs: 1_000 })).start()
    const stack = await startStack({
      config: `- name: held\n  type: webhook\n  enable: true\n  url: ${fake.url}/held\n  timeout: 5s\n`,
      dispatchers: 0,
      env: { POSTEE_LOG_LEVEL: 'info' },
    })
    const database = new URL(stack.database.url)
    const proxy = await new TcpProxy(database.hostname, Number(database.port || 5432)).start()
    try {
      database.host = `127.0.0.1:${proxy.port}`
      const dispatcher = await stack.startDispatcher({ DATABASE_URL: database.toString() })
      const dispatcherUrl = stack.dispatcherUrls.at(-1)!
      const ingestUrl = stack.ingestUrls[0]!
      const posted = (await (
        await fetch(`${ingestUrl}/scan`, {
          method: 'POST',
          body: scanBody('ledger-hold:1'),
          headers: { 'content-type': 'application/json' },
        })
      ).json()) as { id: string }
      // Partitioned while the target is answering: the send cannot be recorded.
      await fake.waitForRequests(1)
      proxy.partition()
      const ready = await timedFetch(`${dispatcherUrl}/readyz`)
      expect(ready.ms).to.be.lessThan(2_000)
      expect(ready.status).to.equal(503)
      expect(JSON.parse(ready.body)).to.include({ postgres: 'down' })
      await waitFor(() => (dispatcher.output().includes('postgres is unreachable') ? true : undefined), {
        describe: () => dispatcher.output(),
      })
      const [during] = await deliveriesOf(ingestUrl, posted.id)
      expect(during!.status).to.equal('sending')

      proxy.restore()
      await waitFor(async () => ((await deliveriesOf(ingestUrl, posted.id))[0]?.status === 'sent' ? true : undefined), {
        describe: () => dispatcher.output(),
        timeoutMs: 60_000,
      })
      const sends = fake.requests.filter((r) => r.headers['x-postee-delivery'] === during!.id)
      expect(sends.length).to.be.within(1, 2)
      expect(dispatcher.child.exitCode, dispatcher.output()).to.equal(null)
      expect(logLines(dispatcher).some((line) => /postgres is reachable again/.test(String(line.msg)))).to.equal(true)
      expect(nonJsonStderr(dispatcher), dispatcher.stderr()).to.deep.equal([])
    } finally {
      await stack.stop()
      await proxy.stop()
      await fake.stop()
    }
  })
})
