/** What the sender saw, per scan and per attempt. */
export interface SenderResult {
  /** Scans attempted (each a distinct image). */
  readonly scans: number
  /** Images answered 202, with the outputs the answer listed. */
  readonly acknowledged: Map<string, { readonly outcome: string; readonly outputs: readonly string[] }>
  /** Images the sender gave up on (never answered 202 within its attempts). */
  readonly gaveUp: string[]
  /** Scans never sent at all: the sender was still behind schedule at `giveUpAfterMs`. */
  readonly unsent: number
  /** Every answer other than 202, by HTTP status or by connection error code. */
  readonly nonAccepted: Map<string, number>
  /** Attempts in all (first tries and retries). */
  readonly attempts: number
}

/** How the sender behaves. */
export interface SenderOptions {
  readonly ingestUrls: readonly string[]
  /** Requests in flight at most. */
  readonly concurrency: number
  /** New scans per second. */
  readonly rate: number
  /** No new scan is started after this long. */
  readonly durationMs: number
  /** A bound on scans, whatever the duration. */
  readonly maxScans: number
  /** Per attempt, as a sender's HTTP client has. */
  readonly requestTimeoutMs: number
  /** A scan is given up after this many attempts, */
  readonly maxAttempts: number
  /** or when this long has passed since the load began (so the run stays bounded whatever happens). */
  readonly giveUpAfterMs: number
  /** A distinct scan body for scan number `n`, with its image. */
  readonly scan: (n: number) => { image: string; body: string }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A steady stream of distinct scans over both ingests (alternating, as a load balancer would),
 * each retried as Aqua's sender would: on 503 (after its Retry-After, capped), any 5xx, a refused or
 * reset connection or a timeout, on the other ingest; given up after `maxAttempts` or at
 * `giveUpAfterMs`. Bounded in
 * scans, time and requests in flight.
 */
export async function sendScans(options: SenderOptions): Promise<SenderResult> {
  const acknowledged = new Map<string, { outcome: string; outputs: string[] }>()
  const gaveUp: string[] = []
  const nonAccepted = new Map<string, number>()
  let attempts = 0
  let scans = 0
  let unsent = 0
  let next = 0
  const started = Date.now()
  const count = (key: string) => nonAccepted.set(key, (nonAccepted.get(key) ?? 0) + 1)

  const sendOne = async (n: number): Promise<void> => {
    if (Date.now() - started >= options.giveUpAfterMs) return void unsent++
    scans++
    const { image, body } = options.scan(n)
    for (let attempt = 0; attempt < options.maxAttempts && Date.now() - started < options.giveUpAfterMs; attempt++) {
      attempts++
      const url = options.ingestUrls[(n + attempt) % options.ingestUrls.length]!
      let waitMs = Math.min(2_000, 100 * 2 ** attempt)
      try {
        const response = await fetch(`${url}/scan`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json' },
          signal: AbortSignal.timeout(options.requestTimeoutMs),
        })
        const text = await response.text()
        if (response.status === 202) {
          const json = JSON.parse(text) as { outcome: string; deliveries: { output: string }[] }
          acknowledged.set(image, { outcome: json.outcome, outputs: json.deliveries.map((d) => d.output) })
          return
        }
        count(String(response.status))
        if (response.status < 500) break // the sender does not retry a refusal
        const retryAfter = Number(response.headers.get('retry-after'))
        if (Number.isFinite(retryAfter) && retryAfter > 0) waitMs = Math.min(2_000, retryAfter * 1000)
      } catch (error) {
        count(errorKind(error))
      }
      await sleep(waitMs)
    }
    gaveUp.push(image)
  }

  const worker = async (): Promise<void> => {
    for (;;) {
      const n = next++
      const due = started + (n * 1000) / options.rate
      if (n >= options.maxScans || due - started >= options.durationMs) return
      if (due > Date.now()) await sleep(due - Date.now())
      await sendOne(n)
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  return { scans, acknowledged, gaveUp, unsent, nonAccepted, attempts }
}

/** `timeout`, or the connection error's code (ECONNREFUSED, ECONNRESET, …), or its message. */
function errorKind(error: unknown): string {
  const e = error as { name?: string; cause?: { code?: string; name?: string }; message?: string }
  if (e.name === 'TimeoutError' || e.cause?.name === 'TimeoutError') return 'timeout'
  return e.cause?.code ?? e.name ?? String(error)
}
