import { connect, createServer, type Server, type Socket } from 'node:net'

interface Pair {
  readonly client: Socket
  upstream: Socket | undefined
}

/**
 * A TCP proxy on loopback in front of a real server (Postgres, Redis), so a test can cut the
 * connection (`cut`: every connection dropped, new ones refused) or partition it (`partition`:
 * connections are held open and nothing is forwarded either way, as when packets are lost), and
 * bring it back, while the service under test keeps running.
 */
export class TcpProxy {
  #server: Server | undefined
  #pairs = new Set<Pair>()
  #open = true
  #held = false
  port = 0

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Listens on a free loopback port. */
  async start(): Promise<this> {
    this.#server = createServer((client) => {
      if (!this.#open) return void client.destroy()
      const pair: Pair = { client, upstream: undefined }
      this.#pairs.add(pair)
      client.on('error', () => undefined)
      client.on('close', () => {
        pair.upstream?.destroy()
        this.#pairs.delete(pair)
      })
      if (this.#held) client.pause()
      else this.#connect(pair)
    })
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve))
    this.port = (this.#server.address() as { port: number }).port
    return this
  }

  #connect(pair: Pair): void {
    const upstream = connect(this.targetPort, this.targetHost)
    pair.upstream = upstream
    upstream.on('error', () => undefined)
    upstream.on('close', () => pair.client.destroy())
    pair.client.pipe(upstream).pipe(pair.client)
  }

  /** Drops every connection and refuses new ones: the server looks down. */
  cut(): void {
    this.#open = false
    this.#held = false
    for (const pair of this.#pairs) {
      pair.client.destroy()
      pair.upstream?.destroy()
    }
  }

  /**
   * Holds every connection open but forwards nothing, and accepts new connections without ever
   * answering them: the server looks alive to TCP and silent to the protocol.
   */
  partition(): void {
    this.#held = true
    for (const { client, upstream } of this.#pairs) {
      client.unpipe()
      upstream?.unpipe()
      client.pause()
      upstream?.pause()
    }
  }

  /** Accepts and forwards again, after `cut` or `partition` (held data then flows). */
  restore(): void {
    this.#open = true
    if (!this.#held) return
    this.#held = false
    for (const pair of this.#pairs) {
      if (pair.upstream) {
        pair.client.pipe(pair.upstream).pipe(pair.client)
      } else {
        this.#connect(pair)
      }
    }
  }

  /** Stops listening and drops every connection. */
  async stop(): Promise<void> {
    this.cut()
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()))
  }
}
