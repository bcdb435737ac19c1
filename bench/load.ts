import { Agent, request } from 'node:http'

/** The answer to one request of the load. */
export interface Answer {
  readonly status: number
  readonly body: string
  readonly sentAt: number
  readonly latencyMs: number
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now()
}

/**
 * Sends `bodies` to `url` with exactly `concurrency` requests in flight over keep-alive
 * connections (a closed loop: each finished request starts the next), and returns every answer.
 */
export async function closedLoop(url: string, bodies: readonly Buffer[], concurrency: number): Promise<Answer[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  const target = new URL(url)
  const answers: Answer[] = new Array(bodies.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < bodies.length) {
      const index = next++
      answers[index] = await post(agent, target, bodies[index]!)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  agent.destroy()
  return answers
}

function post(agent: Agent, target: URL, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const sentAt = nowMs()
    const req = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), sentAt, latencyMs: nowMs() - sentAt }),
        )
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** The p-th percentile (0–100) of a list of numbers, by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}
