import { DeliveryError, classifyHttpStatus } from '@postee/shared'

/**
 * What HTTP Event Collector answers mean. HEC answers every request with `{"text": ..., "code": N}`;
 * the codes, their HTTP statuses and texts are listed under "Possible error codes" in
 * https://help.splunk.com/en/splunk-enterprise/get-data-in/collect-http-event-data/troubleshoot-http-event-collector
 * (the same table as docs.splunk.com/Documentation/Splunk/latest/Data/TroubleshootHTTPEventCollector).
 */

/** One HEC status code: the HTTP status Splunk pairs it with, and how the operator fixes it. */
interface HecCode {
  readonly status: number
  readonly hint?: string
}

const TOKEN_HINT = "check the output's `token` (Postee sends `Authorization: Splunk <token>`)"
const ACK_HINT = 'the token has indexer acknowledgement enabled; turn it off for this token (Postee sends no request channel)'
const BUG_HINT = 'Splunk rejected the event Postee built; please report this with the delivery id'

const HEC_CODES: Readonly<Record<number, HecCode>> = {
  0: { status: 200 },
  1: {
    status: 403,
    hint: 'the token is disabled; enable it under Settings > Data inputs > HTTP Event Collector or configure another `token`',
  },
  2: { status: 401, hint: TOKEN_HINT },
  3: { status: 401, hint: TOKEN_HINT },
  4: { status: 403, hint: `this Splunk does not know the token; ${TOKEN_HINT} and that \`url\` points at the right deployment` },
  5: { status: 400, hint: BUG_HINT },
  6: { status: 400, hint: BUG_HINT },
  7: {
    status: 400,
    hint: "the token may not write to the configured `index`; add the index to the token's allowed indexes or change `index`",
  },
  8: { status: 500 },
  9: { status: 503 },
  10: { status: 400, hint: ACK_HINT },
  11: { status: 400, hint: ACK_HINT },
  12: { status: 400, hint: BUG_HINT },
  13: { status: 400, hint: BUG_HINT },
  14: { status: 400, hint: ACK_HINT },
  15: { status: 400, hint: BUG_HINT },
  16: { status: 400, hint: TOKEN_HINT },
  17: { status: 200 },
  18: { status: 503 },
  19: { status: 503 },
  20: { status: 503 },
}

/** HEC's answer body. `ackId` is present when the token uses indexer acknowledgement. */
export interface HecAnswer {
  readonly text: string
  readonly code: number
  readonly ackId?: number
}

/** Reads HEC's `{"text", "code"}` answer; undefined when the body is not one. */
export function parseHecAnswer(body: string): HecAnswer | undefined {
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { text, code, ackId } = value as Record<string, unknown>
  if (typeof code !== 'number') return undefined
  return { text: typeof text === 'string' ? text : '', code, ...(typeof ackId === 'number' ? { ackId } : {}) }
}

/**
 * Checks a 2xx answer: HEC's success is code 0, and a 2xx carrying another code is classified as
 * the status HEC pairs with that code (an unlisted code as a server error, so it is retried). A 2xx that is not HEC's JSON means `url` points elsewhere
 * (Splunk Web or a proxy page), and the event is not known to be indexed.
 */
export function checkHecSuccess(status: number, body: string): HecAnswer {
  const answer = parseHecAnswer(body)
  if (answer === undefined) {
    const snippet = body.slice(0, 200).replace(/\s+/g, ' ')
    throw new DeliveryError(
      `HTTP ${status} without HEC's {"text","code"} answer (${JSON.stringify(snippet)}); point \`url\` at the HTTP Event Collector (port 8088 by default), not Splunk Web`,
      'config',
      false,
    )
  }
  if (answer.code === 0) return answer
  const known = HEC_CODES[answer.code]
  throw classifyHttpStatus(known?.status ?? 500, undefined, describe(answer)) ?? unknownSuccess(status, answer)
}

/**
 * Rewrites a DeliveryError from `callTarget` whose detail is HEC's JSON answer into HEC's own text,
 * its code and how to fix it; any other error is returned unchanged (keeping reason and retryability).
 */
export function explainHecError(error: unknown): unknown {
  if (!(error instanceof DeliveryError)) return error
  const match = /^HTTP (\d{3}): ([\s\S]*)$/.exec(error.message)
  const answer = match ? parseHecAnswer(match[2]!) : undefined
  if (!match || answer === undefined) return error
  return new DeliveryError(`HTTP ${match[1]}: ${describe(answer)}`, error.reason, error.retryable, error.retryAfterMs, { cause: error })
}

function describe(answer: HecAnswer): string {
  const hint = HEC_CODES[answer.code]?.hint
  return `${answer.text || 'no text'} (HEC code ${answer.code})${hint ? `; ${hint}` : ''}`
}

// A 2xx code that classifies as success (code 17 on the event endpoint): not what was asked for.
function unknownSuccess(status: number, answer: HecAnswer): DeliveryError {
  return new DeliveryError(`HTTP ${status}: ${describe(answer)}; the event was not accepted`, 'unknown', false)
}
