import { DeliveryError, type FailureReason } from './contract.js'

/**
 * Reads a Retry-After header (seconds or an HTTP date) as milliseconds from `now`; undefined when
 * absent or unreadable.
 */
export function parseRetryAfter(header: string | undefined | null, now: number = Date.now()): number | undefined {
  if (!header) return undefined
  const trimmed = header.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000)
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}

/**
 * The one place HTTP outcomes are classified: 2xx is success (undefined); 408, 425, 429 and 5xx
 * can succeed later; every other status is permanent. `detail` is the target's own error text,
 * already stripped of secrets by the caller.
 */
export function classifyHttpStatus(status: number, retryAfterHeader: string | undefined | null, detail: string): DeliveryError | undefined {
  if (status >= 200 && status < 300) return undefined
  const message = `HTTP ${status}${detail ? `: ${truncate(detail, 500)}` : ''}`
  const retryAfterMs = parseRetryAfter(retryAfterHeader)
  if (status === 429) return new DeliveryError(message, 'rate-limited', true, retryAfterMs)
  if (status === 408 || status === 425) return new DeliveryError(message, 'timeout', true, retryAfterMs)
  if (status >= 500) return new DeliveryError(message, 'server-error', true, retryAfterMs)
  return new DeliveryError(message, reasonForClientError(status), false)
}

function reasonForClientError(status: number): FailureReason {
  if (status === 401 || status === 403) return 'auth'
  if (status === 413) return 'payload-too-large'
  return 'client-error'
}

/** Classifies a thrown network-level error (no HTTP answer): every such failure may succeed later. */
export function classifyNetworkError(error: unknown, timedOut: boolean): DeliveryError {
  const text = error instanceof Error ? `${(error as NodeJS.ErrnoException).code ?? error.name}: ${error.message}` : String(error)
  return timedOut
    ? new DeliveryError(`timed out: ${text}`, 'timeout', true, undefined, { cause: error })
    : new DeliveryError(`network error: ${text}`, 'network', true, undefined, { cause: error })
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`
}
