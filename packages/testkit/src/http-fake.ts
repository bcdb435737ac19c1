import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A request the fake received. */
export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
  readonly receivedAt: number
}

/** What the fake answers one request with. */
export interface FakeResponse {
  readonly status: number
  readonly headers?: Record<string, string>
  readonly body?: string | object
  /** Never answer (a hung target). */
  readonly hang?: boolean
  /** Answer after this many milliseconds. */
  readonly delayMs?: number
}

/** Decides the answer to a request: checks it the way the real API would, or follows a script. */
export type FakeHandler = (request: RecordedRequest, index: number) => FakeResponse

/** A real HTTP server on loopback that records every request. */
export class HttpFake {
  readonly requests: RecordedRequest[] = []
  #server: Server | undefined
  #waiters: { count: number; resolve: () => void }[] = []
  #hanging = new Set<ServerResponse>()

  constructor(private handler: FakeHandler = () => ({ status: 200, body: 'ok' })) {}

  /** Replaces how the fake answers from now on. */
  respondWith(handler: FakeHandler): void {
    this.handler = handler
  }

  /** Starts listening on 127.0.0.1 with a free port. */
  async start(port = 0): Promise<this> {
    this.#server = createServer((req, res) => void this.#handle(req, res))
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve))
    return this
  }

  /** The fake's base URL, e.g. http://127.0.0.1:40123 */
  get url(): string {
    const address = this.#server?.address() as AddressInfo
    return `http://127.0.0.1:${address.port}`
  }

  /** Resolves once `count` requests have arrived, or rejects after `timeoutMs`. */
  async waitForRequests(count: number, timeoutMs = 20_000): Promise<RecordedRequest[]> {
    if (this.requests.length >= count) return this.requests
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`expected ${count} requests within ${timeoutMs} ms, got ${this.requests.length}`)),
        timeoutMs,
      )
      this.#waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) })
    })
    return this.requests
  }

  /** Stops the server, cutting hung connections. */
  async stop(): Promise<void> {
    for (const res of this.#hanging) res.destroy()
    this.#server?.closeAllConnections()
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()))
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      receivedAt: Date.now(),
    }
    const index = this.requests.length
    this.requests.push(request)
    for (const waiter of this.#waiters.filter((w) => this.requests.length >= w.count)) waiter.resolve()
    this.#waiters = this.#waiters.filter((w) => this.requests.length < w.count)
    const answer = this.handler(request, index)
    if (answer.hang) {
      this.#hanging.add(res)
      return
    }
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs))
    const body = typeof answer.body === 'object' ? JSON.stringify(answer.body) : (answer.body ?? '')
    const headers = { ...(typeof answer.body === 'object' ? { 'content-type': 'application/json' } : {}), ...answer.headers }
    res.writeHead(answer.status, headers).end(body)
  }
}
