import { parseSize } from './units.js'
import type { ConfigProblem } from './types.js'

/** How the HTTP listeners treat slow, idle and greedy clients (the POSTEE_HTTP_* variables). */
export interface HttpLimits {
  /** POSTEE_HTTP_HEADERS_TIMEOUT_MS: the request line and headers must arrive within this. */
  readonly headersTimeoutMs: number
  /** POSTEE_HTTP_REQUEST_TIMEOUT_MS: the whole request, body included, must arrive within this. */
  readonly requestTimeoutMs: number
  /** POSTEE_HTTP_BODY_IDLE_TIMEOUT_MS: a body that sends nothing for this long is cut off with 408. */
  readonly bodyIdleTimeoutMs: number
  /** POSTEE_HTTP_MAX_REQUESTS_PER_CLIENT: requests in flight per remote address (more get 429); 0 is no cap. */
  readonly maxRequestsPerClient: number
  /** POSTEE_HTTP_MAX_CONNECTIONS_PER_CLIENT: open connections per remote address (more are closed at once); 0 is no cap. */
  readonly maxConnectionsPerClient: number
  /**
   * POSTEE_HTTP_UNVERIFIED_BODY_BYTES: bytes of signed bodies read at once before their signature
   * is checked; undefined means Max-Body-Size (one largest body at a time).
   */
  readonly unverifiedBodyBytes: number | undefined
}

/** The defaults: seconds, not minutes, and room for CI bursts and 32-in-flight load tests from one address. */
export const HTTP_LIMIT_DEFAULTS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  bodyIdleTimeoutMs: 10_000,
  maxRequestsPerClient: 64,
  maxConnectionsPerClient: 256,
  unverifiedBodyBytes: undefined,
}

const ITEM = 'environment'

function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

/** Reads the POSTEE_HTTP_* variables, adding one problem per bad value to `problems`. */
export function readHttpLimits(env: NodeJS.ProcessEnv, problems: ConfigProblem[]): HttpLimits {
  const whole = (name: string, fallback: number, min: number, what: string): number => {
    const text = read(env, name)
    if (text === undefined) return fallback
    const value = Number(text)
    if (Number.isInteger(value) && value >= min) return value
    problems.push({ item: ITEM, key: name, message: `${JSON.stringify(text)} is not ${what}` })
    return fallback
  }
  const ms = (name: string, fallback: number) => whole(name, fallback, 100, `a whole number of milliseconds ≥ 100; write e.g. ${fallback}`)
  const count = (name: string, fallback: number) => whole(name, fallback, 0, `a whole number ≥ 0 (0 means no cap); write e.g. ${fallback}`)
  let unverifiedBodyBytes: number | undefined
  const size = read(env, 'POSTEE_HTTP_UNVERIFIED_BODY_BYTES')
  if (size !== undefined) {
    const parsed = parseSize(/^\d+$/.test(size) ? `${size}B` : size)
    if (parsed.ok && parsed.value > 0) unverifiedBodyBytes = parsed.value
    else
      problems.push({
        item: ITEM,
        key: 'POSTEE_HTTP_UNVERIFIED_BODY_BYTES',
        message: `${JSON.stringify(size)} is not a size; write bytes or a size with a unit, e.g. 20MB`,
      })
  }
  const d = HTTP_LIMIT_DEFAULTS
  const limits = {
    headersTimeoutMs: ms('POSTEE_HTTP_HEADERS_TIMEOUT_MS', d.headersTimeoutMs),
    requestTimeoutMs: ms('POSTEE_HTTP_REQUEST_TIMEOUT_MS', d.requestTimeoutMs),
    bodyIdleTimeoutMs: ms('POSTEE_HTTP_BODY_IDLE_TIMEOUT_MS', d.bodyIdleTimeoutMs),
    maxRequestsPerClient: count('POSTEE_HTTP_MAX_REQUESTS_PER_CLIENT', d.maxRequestsPerClient),
    maxConnectionsPerClient: count('POSTEE_HTTP_MAX_CONNECTIONS_PER_CLIENT', d.maxConnectionsPerClient),
    unverifiedBodyBytes,
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    problems.push({
      item: ITEM,
      key: 'POSTEE_HTTP_HEADERS_TIMEOUT_MS',
      message: `must not be longer than POSTEE_HTTP_REQUEST_TIMEOUT_MS (${limits.requestTimeoutMs}), which covers the headers too`,
    })
  }
  return limits
}
