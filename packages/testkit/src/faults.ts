import type { ServiceProcess } from './process.js'

/** A timed HTTP answer: status, Retry-After, body and how long it took. */
export interface TimedAnswer {
  readonly status: number
  readonly retryAfter: string | null
  readonly body: string
  readonly ms: number
}

/** Sends a request and measures how long the answer took; status 0 when none came within `timeoutMs`. */
export async function timedFetch(url: string, init: RequestInit = {}, timeoutMs = 15_000): Promise<TimedAnswer> {
  const started = Date.now()
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })
    const body = await response.text()
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body, ms: Date.now() - started }
  } catch (error) {
    return { status: 0, retryAfter: null, body: (error as Error).message, ms: Date.now() - started }
  }
}

/** The JSON log lines a service wrote (stdout and stderr), parsed. */
export function logLines(service: ServiceProcess): Record<string, unknown>[] {
  return service
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>]
      } catch {
        return []
      }
    })
}

/** The lines a service wrote to stderr that are not JSON log lines (stack dumps, library warnings). */
export function nonJsonStderr(service: ServiceProcess): string[] {
  return service
    .stderr()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => {
      try {
        JSON.parse(line)
        return false
      } catch {
        return true
      }
    })
}
