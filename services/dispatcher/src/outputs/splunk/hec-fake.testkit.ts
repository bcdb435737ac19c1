import type { FakeHandler, FakeResponse, RecordedRequest } from '@postee/testkit'

/**
 * An HTTP Event Collector as far as Postee uses it: checks a request the way HEC does and answers
 * with HEC's own bodies and codes ("Possible error codes" in Splunk's "Troubleshoot HTTP Event
 * Collector"). It is stricter than HEC in one way: a body over `sizeLimit` bytes (Postee's own
 * SizeLimit promise) is refused with 413, so a test notices.
 */
export interface HecFakeOptions {
  readonly token: string
  /** Indexes the token may write to; HEC answers code 7 for any other. */
  readonly allowedIndexes?: readonly string[]
  readonly sizeLimit: number
}

// The codes about one event's content name it by its position in the request.
const PER_EVENT_CODES = new Set([6, 7, 12, 13, 15])

/** HEC's answer for a code, with the HTTP status HEC pairs it with. */
export function hecAnswer(code: number, text: string, status: number): FakeResponse {
  return { status, body: { text, code, ...(PER_EVENT_CODES.has(code) ? { 'invalid-event-number': 0 } : {}) } }
}

/** A handler that checks each request and accepts the valid ones. */
export function hecFake(options: HecFakeOptions): FakeHandler {
  return (request) => rejection(request, options) ?? hecAnswer(0, 'Success', 200)
}

function rejection(request: RecordedRequest, options: HecFakeOptions): FakeResponse | undefined {
  const path = request.path.split('?')[0]
  if (request.method !== 'POST' || (path !== '/services/collector/event' && path !== '/services/collector')) {
    return { status: 404, body: { text: 'The requested URL was not found on this server.', code: 404 } }
  }
  return authRejection(request.headers.authorization, options.token) ?? bodyRejection(request.body, options)
}

function authRejection(header: string | undefined, token: string): FakeResponse | undefined {
  if (header === undefined) return hecAnswer(2, 'Token is required', 401)
  const match = /^Splunk ([0-9A-Za-z-]+)$/.exec(header)
  if (!match) return hecAnswer(3, 'Invalid authorization', 401)
  return match[1] === token ? undefined : hecAnswer(4, 'Invalid token', 403)
}

function bodyRejection(body: string, options: HecFakeOptions): FakeResponse | undefined {
  if (body.length === 0) return hecAnswer(5, 'No data', 400)
  if (Buffer.byteLength(body, 'utf8') > options.sizeLimit)
    return { status: 413, body: { text: `over SizeLimit ${options.sizeLimit}`, code: 413 } }
  let event: unknown
  try {
    event = JSON.parse(body)
  } catch {
    return hecAnswer(6, 'Invalid data format', 400)
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return hecAnswer(6, 'Invalid data format', 400)
  const fields = event as Record<string, unknown>
  if (!('event' in fields)) return hecAnswer(12, 'Event field is required', 400)
  if (fields['event'] === null || fields['event'] === '') return hecAnswer(13, 'Event field cannot be blank', 400)
  for (const key of ['index', 'source', 'sourcetype'] as const) {
    if (key in fields && typeof fields[key] !== 'string') return hecAnswer(6, 'Invalid data format', 400)
  }
  const index = fields['index']
  if (typeof index === 'string' && !(options.allowedIndexes ?? ['main']).includes(index)) return hecAnswer(7, 'Incorrect index', 400)
  return undefined
}
