import type { Server, ServerOptions } from 'node:http'
import type { Socket } from 'node:net'
import type { RequestHandler, Response } from 'express'
import type { HttpLimits } from '@postee/shared'

/**
 * Sends a refusal and closes the connection after it: the rest of the body is not read (Node
 * would otherwise read and discard it to keep the connection alive), and the socket is not left
 * idle for whoever was refused.
 */
export function refuse(res: Response, status: number, error: string, headers: Record<string, string> = {}): void {
  res
    .status(status)
    .set({ ...headers, Connection: 'close' })
    .json({ error })
}

/**
 * Options for `http.createServer`/`https.createServer`: Node checks the header and request
 * timeouts every `connectionsCheckingInterval` (30 s by default, which alone let a slow client
 * hold a socket for half a minute past its deadline), so it is checked every second here.
 */
export function serverOptions(limits: HttpLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: 1_000,
  }
}

/**
 * Applies the timeouts to a listening server and caps the open connections per remote address:
 * a client over the cap has its new connection closed at once, before it can send anything, so a
 * slow-headers flood from one address holds at most that many sockets.
 */
export function guardServer(server: Server, limits: HttpLimits): void {
  server.headersTimeout = limits.headersTimeoutMs
  server.requestTimeout = limits.requestTimeoutMs
  // Longer than the usual load balancer idle timeout (60 s), so the balancer closes first and never
  // sends a request on a connection we are closing.
  server.keepAliveTimeout = 65_000
  if (limits.maxConnectionsPerClient === 0) return
  const open = new Map<string, number>()
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown'
    const count = (open.get(address) ?? 0) + 1
    if (count > limits.maxConnectionsPerClient) {
      socket.destroy()
      return
    }
    open.set(address, count)
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1
      if (left <= 0) open.delete(address)
      else open.set(address, left)
    })
  })
}

/**
 * Caps the requests in flight per remote address: beyond `max`, 429 with Retry-After at once,
 * before the body is read. `max` 0 is no cap. Behind a proxy every client shares its address.
 */
export function perClientLimit(max: () => number): RequestHandler {
  const inFlight = new Map<string, number>()
  return (req, res, next) => {
    const cap = max()
    if (cap === 0) return next()
    const address = req.socket.remoteAddress ?? 'unknown'
    const count = inFlight.get(address) ?? 0
    if (count >= cap) {
      refuse(
        res,
        429,
        `too many requests in flight from this address (at most ${cap}, POSTEE_HTTP_MAX_REQUESTS_PER_CLIENT); retry after a second`,
        { 'Retry-After': '1' },
      )
      return
    }
    inFlight.set(address, count + 1)
    let released = false
    res.once('close', () => {
      if (released) return
      released = true
      const left = (inFlight.get(address) ?? 1) - 1
      if (left <= 0) inFlight.delete(address)
      else inFlight.set(address, left)
    })
    next()
  }
}

function hasBody(req: { headers: Record<string, string | string[] | undefined> }): boolean {
  return (
    req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0')
  )
}

/**
 * A body that sends nothing for `idleMs` gets 408 and its connection closed. Only while the body
 * is being received: once it is complete, the socket's idle timer is cleared, so a slow database
 * answer never cuts a request the client has finished sending.
 */
export function bodyIdleTimeout(idleMs: () => number): RequestHandler {
  return (req, res, next) => {
    if (req.complete || !hasBody(req)) return next()
    const ms = idleMs()
    req.setTimeout(ms, () => {
      if (res.headersSent) return void req.socket.destroy()
      refuse(
        res,
        408,
        `the request body stalled: nothing arrived for ${ms / 1000} s (POSTEE_HTTP_BODY_IDLE_TIMEOUT_MS); send the body without pauses`,
      )
    })
    req.once('end', () => req.socket.setTimeout(0))
    next()
  }
}
