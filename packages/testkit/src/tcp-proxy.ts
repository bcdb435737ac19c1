import { connect, createServer, type Server, type Socket } from 'node:net'

/**
 * A TCP proxy on loopback in front of a real server (Postgres, Redis), so a test can cut the
 * connection and bring it back while the service under test keeps running.
 */
export class TcpProxy {
  #server: Server | undefined
  #sockets = new Set<Socket>()
  #open = true
  port = 0

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Listens on a free loopback port. */
  async start(): Promise<this> {
    this.#server = createServer((client) => {
      if (!this.#open) return void client.destroy()
      const upstream = connect(this.targetPort, this.targetHost)
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket)
        socket.on('close', () => this.#sockets.delete(socket))
        socket.on('error', () => undefined)
      }
      client.pipe(upstream).pipe(client)
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
    })
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve))
    this.port = (this.#server.address() as { port: number }).port
    return this
  }

  /** Drops every connection and refuses new ones: the server looks down. */
  cut(): void {
    this.#open = false
    for (const socket of this.#sockets) socket.destroy()
  }

  /** Accepts connections again. */
  restore(): void {
    this.#open = true
  }

  /** Stops listening and drops every connection. */
  async stop(): Promise<void> {
    this.cut()
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()))
  }
}
