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
