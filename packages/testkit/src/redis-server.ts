import { spawn, type ChildProcess } from 'node:child_process'
import { Redis } from 'ioredis'
import { freePort } from './stack.js'

/** A Redis server the test owns, on its own port, to stop and start during a test. */
export interface OwnRedis {
  readonly url: string
  start(): Promise<void>
  stop(): Promise<void>
}

/**
 * Starts `redis-server` (from PATH) on a free loopback port, without persistence: a restart loses
 * every queued job, the worst case the relay has to recover from.
 */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort()
  let child: ChildProcess | undefined
  const url = `redis://127.0.0.1:${port}`
  const start = async (): Promise<void> => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    const deadline = Date.now() + 10_000
    for (;;) {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
      probe.on('error', () => undefined)
      try {
        await probe.connect()
        await probe.ping()
        return
      } catch {
        if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      } finally {
        probe.disconnect()
      }
    }
  }
  const stop = async (): Promise<void> => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child!.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }
  await start()
  return { url, start, stop }
}
