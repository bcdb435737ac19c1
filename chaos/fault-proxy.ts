import { connect, createServer, type Server, type Socket } from 'node:net'

/** One client connection and its upstream, with what each side sent during a partition. */
interface Link {
  readonly client: Socket
  readonly upstream: Socket
  readonly held: { readonly toUpstream: Buffer[]; readonly toClient: Buffer[] }
}

/**
 * A TCP proxy on loopback in front of Postgres with the two ways a network fails: `cut` (every
 * connection dropped, new ones refused: a restart or failover) and `partition` (connections stay
 * open and nothing crosses: a switch or security group gone wrong). Healing a partition delivers
 * what was held, as TCP retransmission would.
 */
export class FaultProxy {
  #server: Server | undefined
  #links = new Set<Link>()
  #mode: 'open' | 'cut' | 'partitioned' = 'open'
  port = 0

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Listens on a free loopback port. */
  async start(): Promise<this> {
    this.#server = createServer((client) => this.#accept(client))
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve))
    this.port = (this.#server.address() as { port: number }).port
    return this
  }

  /** What the proxy is doing now. */
  get mode(): 'open' | 'cut' | 'partitioned' {
    return this.#mode
  }

  /** Drops every connection and refuses new ones until `heal`. */
  cut(): void {
    this.#mode = 'cut'
    for (const link of this.#links) {
      link.client.destroy()
      link.upstream.destroy()
    }
  }

  /** Keeps every connection (and accepts new ones) but forwards nothing until `heal`. */
  partition(): void {
    this.#mode = 'partitioned'
  }

  /** Back to normal: new connections are accepted and whatever a partition held is delivered. */
  heal(): void {
    this.#mode = 'open'
    for (const link of this.#links) {
      for (const chunk of link.held.toUpstream.splice(0)) link.upstream.write(chunk)
      for (const chunk of link.held.toClient.splice(0)) link.client.write(chunk)
    }
  }

  /** Stops listening and drops every connection. */
  async stop(): Promise<void> {
    this.cut()
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()))
  }

  #accept(client: Socket): void {
    if (this.#mode === 'cut') return void client.destroy()
    const upstream = connect(this.targetPort, this.targetHost)
    const link: Link = { client, upstream, held: { toUpstream: [], toClient: [] } }
    this.#links.add(link)
    const forward = (to: Socket, held: Buffer[]) => (chunk: Buffer) => {
      if (this.#mode === 'partitioned') held.push(chunk)
      else if (this.#mode === 'open') to.write(chunk)
    }
    client.on('data', forward(upstream, link.held.toUpstream))
    upstream.on('data', forward(client, link.held.toClient))
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined)
      socket.on('close', () => {
        this.#links.delete(link)
        client.destroy()
        upstream.destroy()
      })
    }
  }
}
