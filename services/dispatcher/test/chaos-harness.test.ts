import { expect } from 'chai'
import { once } from 'node:events'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { countDuplicates, type FaultEvent } from '../../../chaos/harness.js'
import { FaultProxy } from '../../../chaos/fault-proxy.js'

/** The chaos run's own parts: what it counts must be right for its figures to mean anything. */
describe('chaos harness: counting repeats', () => {
  const kill = (target: string, at: number): FaultEvent => ({ kind: 'kill', target, start: at, end: at + 100 })
  const cut = (start: number, end: number): FaultEvent => ({ kind: 'postgres-cut', target: 'postgres', start, end })
  const redis = (start: number, end: number): FaultEvent => ({ kind: 'redis-restart-empty', target: 'redis', start, end })
  const receipt = (deliveryId: string, at: number, output = 'hook-a', image = `img-${deliveryId}`) => ({
    output,
    deliveryId,
    images: [image],
    at,
  })

  const cases: {
    name: string
    receipts: ReturnType<typeof receipt>[]
    faults: FaultEvent[]
    expected: { repeats: number; documented: number; sameScanOtherId: number }
  }[] = [
    {
      name: 'one copy each: no repeat',
      receipts: [receipt('a', 1_000), receipt('b', 1_500)],
      faults: [kill('dispatcher-1', 1_200)],
      expected: { repeats: 0, documented: 0, sameScanOtherId: 0 },
    },
    {
      name: 'a dispatcher SIGKILL between the copies: documented',
      receipts: [receipt('a', 1_000), receipt('a', 5_000)],
      faults: [kill('dispatcher-2', 3_000)],
      expected: { repeats: 1, documented: 1, sameScanOtherId: 0 },
    },
    {
      name: 'a SIGKILL just before the first copy was answered (within 1 s): documented',
      receipts: [receipt('a', 1_000), receipt('a', 5_000)],
      faults: [kill('dispatcher-1', 400)],
      expected: { repeats: 1, documented: 1, sameScanOtherId: 0 },
    },
    {
      name: 'a SIGKILL long before the first copy: not documented',
      receipts: [receipt('a', 5_000), receipt('a', 9_000)],
      faults: [kill('dispatcher-1', 1_000)],
      expected: { repeats: 1, documented: 0, sameScanOtherId: 0 },
    },
    {
      name: 'only an ingest killed between the copies: not documented',
      receipts: [receipt('a', 1_000), receipt('a', 5_000)],
      faults: [kill('ingest-1', 3_000)],
      expected: { repeats: 1, documented: 0, sameScanOtherId: 0 },
    },
    {
      name: 'a Postgres cut overlapping the first copy: documented',
      receipts: [receipt('a', 1_000), receipt('a', 5_000)],
      faults: [cut(500, 2_500)],
      expected: { repeats: 1, documented: 1, sameScanOtherId: 0 },
    },
    {
      name: 'a Redis restart between the copies: not a documented case',
      receipts: [receipt('a', 1_000), receipt('a', 5_000)],
      faults: [redis(2_000, 3_000)],
      expected: { repeats: 1, documented: 0, sameScanOtherId: 0 },
    },
    {
      name: 'three copies around one kill: two repeats, one documented',
      receipts: [receipt('a', 1_000), receipt('a', 5_000), receipt('a', 9_000)],
      faults: [kill('dispatcher-3', 3_000)],
      expected: { repeats: 2, documented: 1, sameScanOtherId: 0 },
    },
    {
      name: 'the same scan under two delivery ids',
      receipts: [receipt('a', 1_000, 'hook-a', 'x'), receipt('b', 2_000, 'hook-a', 'x')],
      faults: [],
      expected: { repeats: 0, documented: 0, sameScanOtherId: 1 },
    },
    {
      name: 'the same delivery at another output is not a repeat here',
      receipts: [receipt('a', 1_000), receipt('a', 2_000, 'hook-b')],
      faults: [],
      expected: { repeats: 0, documented: 0, sameScanOtherId: 0 },
    },
  ]
  for (const { name, receipts, faults, expected } of cases) {
    it(name, () => {
      const hookA = countDuplicates(receipts, faults).find((d) => d.output === 'hook-a')!
      expect({ repeats: hookA.repeats, documented: hookA.documented, sameScanOtherId: hookA.sameScanOtherId }).to.deep.equal(expected)
      expect(hookA.unexplained).to.have.length(expected.repeats - expected.documented)
    })
  }
})

describe('chaos harness: the fault proxy', () => {
  let echo: Server
  let proxy: FaultProxy
  before(async () => {
    echo = createServer((socket) => socket.pipe(socket))
    echo.listen(0, '127.0.0.1')
    await once(echo, 'listening')
    proxy = await new FaultProxy('127.0.0.1', (echo.address() as { port: number }).port).start()
  })
  after(async () => {
    await proxy.stop()
    echo.close()
  })

  const open = async (): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> => {
    const socket = connect(proxy.port, '127.0.0.1')
    let received = ''
    let closed = false
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()))
    socket.on('close', () => (closed = true))
    socket.on('error', () => undefined)
    await once(socket, 'connect')
    return { socket, received: () => received, closed: () => closed }
  }
  const until = async (condition: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 5_000
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  it('forwards both ways when open', async () => {
    const client = await open()
    client.socket.write('ping')
    await until(() => client.received() === 'ping', 'the echo')
    client.socket.destroy()
  })

  it('a partition holds the connection and forwards nothing; healing delivers what was held', async () => {
    const client = await open()
    proxy.partition()
    client.socket.write('held')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(client.received()).to.equal('')
    expect(client.closed()).to.equal(false)
    proxy.heal()
    await until(() => client.received() === 'held', 'the held bytes after healing')
    client.socket.destroy()
  })

  it('a cut drops every connection and refuses new ones until healed', async () => {
    const client = await open()
    proxy.cut()
    await until(() => client.closed(), 'the connection to drop')
    const refused = connect(proxy.port, '127.0.0.1')
    refused.on('error', () => undefined)
    await once(refused, 'close')
    proxy.heal()
    const again = await open()
    again.socket.write('back')
    await until(() => again.received() === 'back', 'the echo after healing')
    again.socket.destroy()
  })
})
