import type { FakeHandler, FakeResponse, RecordedRequest } from '@postee/testkit'

/**
 * The two Teams webhook endpoints, as strict as Teams (stricter where Teams fails late):
 *
 * - Workflows ("When a Teams webhook request is received",
 *   https://learn.microsoft.com/en-us/connectors/teams/#microsoft-teams-webhook): a JSON
 *   `{ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive',
 *   contentUrl, content }] }` (the trigger's schema requires `contentUrl`); answers 202 Accepted with
 *   no body, and errors as `{"error":{"code","message"}}`. The real flow accepts a broken card and
 *   fails in its run history; the fake refuses it with 400 so a test sees it.
 * - The legacy Office 365 connector (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using):
 *   a MessageCard; answers 200 `1`, 400 for a body it cannot read, 404 for a removed webhook, and
 *   some failures as 200 "Webhook message delivery failed with error: Microsoft Teams endpoint
 *   returned HTTP error 413 …" (the fake answers a body over 28 KB that way).
 *
 * Both refuse a body over 28 KB (28,000 bytes of UTF-8 here, the stricter reading of "28 KB").
 */

const MAX_BYTES = 28_000
export const ADAPTIVE = 'application/vnd.microsoft.card.adaptive'
const ELEMENTS = new Set(['TextBlock', 'FactSet', 'Table'])

export type Json = Record<string, unknown>

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function nonEmptyText(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== ''
}

function parse(body: string): unknown {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

// Why an Adaptive Card element would not render, or undefined when it would.
function elementProblem(element: unknown, version: number): string | undefined {
  if (!isObject(element) || typeof element['type'] !== 'string' || !ELEMENTS.has(element['type']))
    return `unknown element ${JSON.stringify(element)}`
  // A TextBlock needs some text; a single space (an empty column header) is text.
  if (element['type'] === 'TextBlock')
    return typeof element['text'] === 'string' && element['text'] !== '' ? undefined : 'TextBlock without text'
  if (element['type'] === 'FactSet') {
    const facts = element['facts']
    const ok =
      Array.isArray(facts) &&
      facts.length > 0 &&
      facts.every((f) => isObject(f) && typeof f['title'] === 'string' && nonEmptyText(f['value']))
    return ok ? undefined : 'FactSet with a bad fact'
  }
  if (version < 1.5) return 'Table needs card version 1.5'
  const { columns, rows } = element
  if (!Array.isArray(columns) || columns.length === 0 || !Array.isArray(rows)) return 'Table without columns or rows'
  for (const row of rows) {
    if (!isObject(row) || row['type'] !== 'TableRow' || !Array.isArray(row['cells']) || row['cells'].length !== columns.length)
      return 'bad TableRow'
    for (const cell of row['cells'] as unknown[]) {
      if (!isObject(cell) || cell['type'] !== 'TableCell' || !Array.isArray(cell['items'])) return 'bad TableCell'
      const problem = (cell['items'] as unknown[]).map((item) => elementProblem(item, version)).find((p) => p !== undefined)
      if (problem !== undefined) return problem
    }
  }
  return undefined
}

/** Why Workflows would refuse (or fail to post) a body, or undefined when it posts it. */
export function workflowsProblem(body: string): string | undefined {
  const message = parse(body)
  if (!isObject(message) || message['type'] !== 'message') return 'TriggerInputSchemaMismatch: type must be message'
  const attachments = message['attachments']
  if (!Array.isArray(attachments) || attachments.length === 0) return 'TriggerInputSchemaMismatch: attachments missing'
  for (const attachment of attachments) {
    if (!isObject(attachment) || attachment['contentType'] !== ADAPTIVE) return 'TriggerInputSchemaMismatch: wrong contentType'
    if (!('contentUrl' in attachment)) return 'TriggerInputSchemaMismatch: Required properties are missing from object: contentUrl.'
    const card = attachment['content']
    if (!isObject(card) || card['type'] !== 'AdaptiveCard') return "Property 'type' must be 'AdaptiveCard'"
    const version = Number(card['version'])
    if (!(version >= 1 && version <= 1.6) || !Array.isArray(card['body']) || card['body'].length === 0) return 'bad card version or body'
    const problem = (card['body'] as unknown[]).map((element) => elementProblem(element, version)).find((p) => p !== undefined)
    if (problem !== undefined) return problem
  }
  return undefined
}

function sectionProblem(section: unknown): string | undefined {
  if (!isObject(section)) return 'a section is not an object'
  const { text, facts } = section
  if (text === undefined && facts === undefined) return 'an empty section'
  if (text !== undefined && !nonEmptyText(text)) return 'a section with empty text'
  if (facts === undefined) return undefined
  const ok = Array.isArray(facts) && facts.every((f) => isObject(f) && typeof f['name'] === 'string' && typeof f['value'] === 'string')
  return ok ? undefined : 'a bad fact'
}

function actionProblem(action: unknown): string | undefined {
  if (!isObject(action) || action['@type'] !== 'OpenUri' || !nonEmptyText(action['name'])) return 'a bad potentialAction'
  const targets = action['targets']
  const ok =
    Array.isArray(targets) &&
    targets.length > 0 &&
    targets.every((t) => isObject(t) && t['os'] === 'default' && /^https?:\/\/\S+$/.test(String(t['uri'])))
  return ok ? undefined : 'a bad OpenUri target'
}

/** Why the legacy connector would refuse a MessageCard body, or undefined when it posts it. */
export function connectorProblem(body: string): string | undefined {
  const card = parse(body)
  if (!isObject(card)) return 'Bad payload received by generic incoming webhook.'
  if (card['@type'] !== 'MessageCard' || !/^https?:\/\/schema\.org\/extensions$/.test(String(card['@context'])))
    return 'Bad payload: @type must be MessageCard'
  if (!nonEmptyText(card['summary']) && !nonEmptyText(card['text'])) return 'Summary or Text is required.'
  const themeColor = card['themeColor']
  if (themeColor !== undefined && (typeof themeColor !== 'string' || !/^[0-9A-Fa-f]{6}$/.test(themeColor))) return 'Bad payload: themeColor'
  const sections = card['sections'] ?? []
  if (!Array.isArray(sections)) return 'Bad payload: sections'
  const actions = card['potentialAction'] ?? []
  if (!Array.isArray(actions)) return 'Bad payload: potentialAction'
  return [...sections.map(sectionProblem), ...actions.map(actionProblem)].find((p) => p !== undefined)
}

function tooLarge(request: RecordedRequest): boolean {
  return Buffer.byteLength(request.body, 'utf8') > MAX_BYTES
}

function isJson(request: RecordedRequest): boolean {
  return /^application\/json\b/i.test(String(request.headers['content-type'] ?? ''))
}

function flowError(status: number, code: string, message: string): FakeResponse {
  return { status, body: { error: { code, message } } }
}

/** A Workflows webhook at `path` (the path and query of the URL the trigger shows). */
export function workflowsWebhook(path: string): FakeHandler {
  return (request) => {
    if (request.path !== path) return flowError(404, 'WorkflowNotFound', 'The workflow could not be found.')
    if (request.method !== 'POST') return flowError(405, 'MethodNotAllowed', 'Use POST.')
    if (tooLarge(request)) return flowError(413, 'RequestEntityTooLarge', `The request body exceeds ${MAX_BYTES} bytes.`)
    if (!isJson(request)) return flowError(400, 'TriggerInputSchemaMismatch', 'The body is not JSON.')
    const problem = workflowsProblem(request.body)
    if (problem === undefined) return { status: 202 }
    return flowError(400, problem.startsWith('TriggerInputSchemaMismatch') ? 'TriggerInputSchemaMismatch' : 'InvalidAdaptiveCard', problem)
  }
}

/** A legacy Office 365 connector webhook at `path`. */
export function connectorWebhook(path: string): FakeHandler {
  return (request) => {
    if (request.path !== path) return { status: 404, body: 'Webhook not found' }
    if (request.method !== 'POST') return { status: 405, body: 'Method not allowed' }
    if (tooLarge(request)) {
      return {
        status: 200,
        body: 'Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 413 with ContextId MS-CV=fake.0..',
      }
    }
    if (!isJson(request)) return { status: 400, body: 'Bad payload received by generic incoming webhook.' }
    const problem = connectorProblem(request.body)
    return problem === undefined ? { status: 200, headers: { 'content-type': 'text/plain' }, body: '1' } : { status: 400, body: problem }
  }
}
