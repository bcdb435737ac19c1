import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { Redis } from 'ioredis'
import { HttpFake, freePort, readFixture, startOwnRedis, startStack, waitFor, type OwnRedis, type Stack } from '@postee/testkit'

/** A Redis Sentinel of the test's own, watching `master` under the name postee-master. */
async function startSentinel(masterPort: number): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'postee-sentinel-'))
  const conf = join(dir, 'sentinel.conf')
  writeFileSync(
    conf,
    `port ${port}\nbind 127.0.0.1\nsentinel monitor postee-master 127.0.0.1 ${masterPort} 1\nsentinel down-after-milliseconds postee-master 5000\n`,
  )
  const child = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' })
  // Ready once it answers with the master it monitors.
  await waitFor(
    async () => {
      const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
      client.on('error', () => undefined)
      try {
        await client.connect()
        const address = (await client.call('SENTINEL', 'get-master-addr-by-name', 'postee-master')) as string[] | null
        return address?.[1] === String(masterPort)
      } finally {
        client.disconnect()
      }
    },
    { what: `the sentinel on port ${port} to report the master on ${masterPort}` },
  )
  return { port, child }
}

describe('Redis through Sentinel (REDIS_URL=redis+sentinel://…)', function () {
  this.timeout(60_000)
  let master: OwnRedis
  let sentinel: { port: number; child: ChildProcess }
  let fake: HttpFake
  let stack: Stack

  before(async () => {
    master = await startOwnRedis()
    sentinel = await startSentinel(Number(new URL(master.url).port))
    fake = await new HttpFake(() => ({ status: 200 })).start()
    stack = await startStack({
      config: `- name: hook\n  type: webhook\n  enable: true\n  url: ${fake.url}/hook\n`,
      env: { REDIS_URL: `redis+sentinel://127.0.0.1:${sentinel.port}/postee-master` },
    })
  })
  after(async () => {
    await stack?.stop()
    await fake?.stop()
    sentinel?.child.kill('SIGKILL')
    await master?.stop()
  })

  it('ingest and dispatcher find the master through the sentinel and deliver', async () => {
    const response = await fetch(`${stack.ingestUrls[0]}/scan`, {
      method: 'POST',
      body: readFixture('aqua-input.json'),
      headers: { 'content-type': 'application/json' },
    })
    expect(response.status).to.equal(202)
    const [request] = await fake.waitForRequests(1)
    expect(request!.path).to.equal('/hook')
    expect(await (await fetch(`${stack.ingestUrls[0]}/readyz`)).json()).to.deep.equal({ postgres: 'ok', redis: 'ok' })
  })
})
