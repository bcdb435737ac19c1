import { createServer, type Server } from 'node:http'

/** One request the webhook sink received. */
export interface Receipt {
  readonly output: string
  readonly deliveryId: string
  /** The images of the scans it carried (one, or several for an aggregated batch). */
  readonly images: readonly string[]
  /** Milliseconds since the run started, when the sink answered 200. */
  readonly at: number
}

/**
 * The webhook target of every output (`/<output name>`): answers 200 at once and records every
 * request with its `X-Postee-Delivery` id and the scans it carried, so deliveries and their repeats
 * can be counted afterwards.
 */
export class WebhookSink {
  readonly receipts: Receipt[] = []
  #server: Server | undefined

  constructor(private readonly clock: () => number) {}

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        const deliveryId = String(req.headers['x-postee-delivery'] ?? '')
        this.receipts.push({ output: (req.url ?? '/').slice(1), deliveryId, images: imagesOf(Buffer.concat(chunks)), at: this.clock() })
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
      })
    })
    this.#server.keepAliveTimeout = 10_000
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve))
    return this
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server!.address() as { port: number }).port}`
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections()
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()))
  }
}

/** The `image` of the payload, or of each payload of an aggregated array; unreadable bodies count as none. */
function imagesOf(body: Buffer): string[] {
  try {
    const json: unknown = JSON.parse(body.toString('utf8'))
    const payloads = Array.isArray(json) ? json : [json]
    return payloads.flatMap((p) =>
      p && typeof p === 'object' && typeof (p as { image?: unknown }).image === 'string' ? [(p as { image: string }).image] : [],
    )
  } catch {
    return []
  }
}
