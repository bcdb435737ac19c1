import { getHeapStatistics } from 'node:v8'
import type express from 'express'

/**
 * Admits scan bodies against a memory budget: what the bodies in flight may weigh together.
 * Parsing and storing a body costs about twice its size in heap at its peak (measured: 40 MB over
 * the base heap for a 20 MB, 85,000-finding Aqua scan), so bodies beyond the budget are refused
 * with 503 and Retry-After instead of taking the process down. One request is always admitted
 * when nothing else is in flight, so a body within the limit is never refused by the budget alone:
 * it waits its turn. A single body larger than the budget is refused with 413 (the route reads no
 * more than min(Max-Body-Size, budget)): it could not be parsed under the heap limit.
 */
export class BodyBudget {
  #inFlight = 0
  #requests = 0

  constructor(readonly budgetBytes: number) {}

  /** Bytes reserved by the requests in flight. */
  get inFlight(): number {
    return this.#inFlight
  }

  /** Reserves `bytes`; false when that would exceed the budget while others are in flight. */
  tryReserve(bytes: number): boolean {
    if (this.#requests > 0 && this.#inFlight + bytes > this.budgetBytes) return false
    this.#inFlight += bytes
    this.#requests += 1
    return true
  }

  /** Grows a reservation to the size actually read; false (nothing changed) when it does not fit. */
  tryGrow(from: number, to: number): boolean {
    if (to <= from) return true
    if (this.#requests > 1 && this.#inFlight - from + to > this.budgetBytes) return false
    this.#inFlight += to - from
    return true
  }

  /** Gives a reservation back. */
  release(bytes: number): void {
    this.#inFlight -= bytes
    this.#requests -= 1
  }
}

/**
 * The budget in bytes: POSTEE_INGEST_BODY_BUDGET_MB (read by readEnvironment), else an eighth of
 * the V8 heap limit (26 MB under the images' --max-old-space-size=160, whose heap limit is 208 MB;
 * 38 MB under 256): one body at the 20 MB default limit, or many small ones, at a time. Measured:
 * a 26 MB Aqua scan is stored under the 160 MB heap limit, a 30 MB one is not.
 */
export function bodyBudgetBytes(budgetMb: number | undefined, heapLimitBytes = getHeapStatistics().heap_size_limit): number {
  return budgetMb === undefined ? Math.floor(heapLimitBytes / 8) : Math.floor(budgetMb * 1024 * 1024)
}

/**
 * What a request is expected to weigh before its body is read: its Content-Length when sent as
 * is; a compressed or chunked body may inflate up to the body limit, so it reserves that.
 */
export function expectedBodyBytes(
  headers: { readonly 'content-length'?: string | undefined; readonly 'content-encoding'?: string | undefined },
  maxBodyBytes: number,
): number {
  const encoding = (headers['content-encoding'] ?? 'identity').trim().toLowerCase()
  const length = Number(headers['content-length'])
  if (encoding === 'identity' && Number.isInteger(length) && length >= 0) return Math.min(length, maxBodyBytes)
  return maxBodyBytes
}

/** Seconds a refused sender is asked to wait: about what one large scan takes to store. */
const RETRY_AFTER_S = 5

/**
 * The middleware before the body is read: reserves the expected size, answers 503 with
 * Retry-After when it does not fit, and releases the reservation when the response ends.
 * `settle` (after the body is read) corrects the reservation to the size actually read.
 */
export function admitBody(
  budget: BodyBudget,
  maxBodyBytes: () => number,
  onRefused: () => void,
): { admit: express.RequestHandler; settle: express.RequestHandler } {
  const refuse = (res: express.Response): void => {
    onRefused()
    res
      .status(503)
      .set('Retry-After', String(RETRY_AFTER_S))
      .json({
        error: `ingest is busy with large scans (more than ${Math.round(budget.budgetBytes / 1048576)} MB of bodies in flight); nothing was stored, retry after ${RETRY_AFTER_S} s`,
      })
  }
  const admit: express.RequestHandler = (req, res, next) => {
    const expected = expectedBodyBytes(req.headers, maxBodyBytes())
    if (!budget.tryReserve(expected)) return refuse(res)
    res.locals.reservedBytes = expected
    res.once('close', () => budget.release(res.locals.reservedBytes as number))
    next()
  }
  const settle: express.RequestHandler = (req, res, next) => {
    const read = Buffer.isBuffer(req.body) ? req.body.length : 0
    const reserved = res.locals.reservedBytes as number
    if (!budget.tryGrow(reserved, read)) return refuse(res)
    res.locals.reservedBytes = Math.max(reserved, read)
    next()
  }
  return { admit, settle }
}
