import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { createTestDatabase, createTestRedis, freePort, startProcess } from '@postee/testkit'

const START_LOCAL = fileURLToPath(new URL('../../../tools/start-local.mjs', import.meta.url))

describe('tools/start-local.mjs', function () {
  this.timeout(90_000)

  it('when one part dies (the dispatcher, on a port in use), stops the others and exits 1', async () => {
    const database = await createTestDatabase()
    const redis = await createTestRedis()
    const blocker = createServer()
    const busy = await freePort()
    await new Promise<void>((resolve) => blocker.listen(busy, '127.0.0.1', resolve))
    const [ingestPort, sinkPort] = [await freePort(), await freePort()]
    const starter = startProcess(START_LOCAL, {
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      POSTEE_QUEUE_PREFIX: redis.prefix,
      AQUAALERT_URL: `127.0.0.1:${ingestPort}`,
      AQUAALERT_TLS: 'off',
      POSTEE_DISPATCHER_HTTP: `127.0.0.1:${busy}`,
      ECHO_SINK: `127.0.0.1:${sinkPort}`,
      POSTEE_EXAMPLE_WEBHOOK_URL: `http://127.0.0.1:${sinkPort}/postee`,
    })
    const timer = setTimeout(() => starter.child.kill('SIGKILL'), 60_000)
    try {
      expect(await starter.exited, starter.output()).to.equal(1)
      const output = starter.output()
      expect(output).to.include('start-local: dispatcher stopped on its own; stopping the others')
      expect(output).to.match(/start-local: ingest exited/)
      expect(output).to.match(/start-local: echo-sink exited/)
      // Nothing is left listening.
      const answer = await fetch(`http://127.0.0.1:${ingestPort}/healthz`).then(
        () => 'answered',
        () => 'refused',
      )
      expect(answer).to.equal('refused')
    } finally {
      clearTimeout(timer)
      blocker.close()
      await redis.cleanup()
      await database.drop()
    }
  })
})
