import type { FakeHandler, FakeResponse } from '@postee/testkit'

/**
 * A Slack incoming webhook, as strict as Slack: the request must be a JSON POST of a message whose
 * Block Kit blocks keep Slack's rules; the answer is Slack's own (200 `ok`, or the status and
 * error code of https://api.slack.com/messaging/webhooks#handling_errors).
 *
 * Block limits (https://api.slack.com/reference/block-kit/blocks): 50 blocks per message; a section
 * has `text` (1–3,000 characters) and/or `fields` (at most 10, each 1–2,000 characters); a header
 * is plain_text of at most 150 characters; `block_id` at most 255 characters; text objects are
 * `plain_text` (optional `emoji`) or `mrkdwn` (optional `verbatim`). The whole message's block
 * text over about 13,000 characters is refused with msg_blocks_too_long (observed; the renderer's
 * own budget is 12,000), a `text` over 40,000 characters with msg_too_long.
 */

const BLOCK_TYPES = new Set([
  'section',
  'header',
  'divider',
  'context',
  'actions',
  'image',
  'rich_text',
  'input',
  'file',
  'video',
  'markdown',
])
const MAX_BLOCKS = 50
const MAX_SECTION_TEXT = 3000
const MAX_FIELDS = 10
const MAX_FIELD_TEXT = 2000
const MAX_HEADER_TEXT = 150
const MAX_BLOCK_ID = 255
const MAX_MESSAGE_TEXT = 40_000
const MAX_BLOCKS_TEXT = 13_000

export type Json = Record<string, unknown>

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// Slack does not say whether it counts code points or UTF-16 units; UTF-16 units never count
// fewer, so the fake holds the renderer to the stricter reading.
function chars(text: string): number {
  return text.length
}

// A text object: returns its length, or undefined when it breaks a rule.
function textObject(value: unknown, max: number, types: readonly string[] = ['plain_text', 'mrkdwn']): number | undefined {
  if (!isObject(value) || typeof value['type'] !== 'string' || !types.includes(value['type'])) return undefined
  const text = value['text']
  if (typeof text !== 'string' || text.length === 0 || chars(text) > max) return undefined
  const allowed = new Set(['type', 'text', value['type'] === 'plain_text' ? 'emoji' : 'verbatim'])
  return Object.keys(value).every((key) => allowed.has(key)) ? chars(text) : undefined
}

// The characters of text in one block, or undefined when the block is invalid.
function blockText(block: unknown): number | undefined {
  if (!isObject(block) || typeof block['type'] !== 'string' || !BLOCK_TYPES.has(block['type'])) return undefined
  if (block['block_id'] !== undefined && (typeof block['block_id'] !== 'string' || block['block_id'].length > MAX_BLOCK_ID))
    return undefined
  switch (block['type']) {
    case 'divider':
      return Object.keys(block).every((key) => key === 'type' || key === 'block_id') ? 0 : undefined
    case 'header':
      return textObject(block['text'], MAX_HEADER_TEXT, ['plain_text'])
    case 'section':
      return sectionText(block)
    default:
      return undefined // the renderer writes no other block type; a new one needs a rule here first
  }
}

function sectionText(block: Json): number | undefined {
  const { text, fields } = block
  if (text === undefined && fields === undefined) return undefined
  let total = 0
  if (text !== undefined) {
    const length = textObject(text, MAX_SECTION_TEXT)
    if (length === undefined) return undefined
    total += length
  }
  if (fields !== undefined) {
    if (!Array.isArray(fields) || fields.length === 0 || fields.length > MAX_FIELDS) return undefined
    for (const field of fields) {
      const length = textObject(field, MAX_FIELD_TEXT)
      if (length === undefined) return undefined
      total += length
    }
  }
  return total
}

/** The error code Slack answers a message body with, or undefined when Slack would post it. */
export function slackError(body: string): string | undefined {
  let message: unknown
  try {
    message = JSON.parse(body)
  } catch {
    return 'invalid_payload'
  }
  if (!isObject(message)) return 'invalid_payload'
  const { text, blocks } = message
  // Slack posts blocks without `text`, but then notifications say nothing: this project requires it.
  if (typeof text !== 'string' || text.trim() === '') return 'missing_text_or_fallback_or_attachments'
  if (chars(text) > MAX_MESSAGE_TEXT) return 'msg_too_long'
  if (blocks === undefined) return undefined
  if (!Array.isArray(blocks) || blocks.length === 0 || blocks.length > MAX_BLOCKS) return 'invalid_blocks'
  let total = 0
  for (const block of blocks) {
    const length = blockText(block)
    if (length === undefined) return 'invalid_blocks'
    total += length
  }
  return total > MAX_BLOCKS_TEXT ? 'msg_blocks_too_long' : undefined
}

/** Slack's status for each error code the fake answers with. */
const STATUS: Readonly<Record<string, number>> = {
  invalid_payload: 400,
  invalid_blocks: 400,
  missing_text_or_fallback_or_attachments: 400,
  msg_too_long: 400,
  msg_blocks_too_long: 400,
  no_service: 404,
}

function answer(code: string): FakeResponse {
  return { status: STATUS[code] ?? 400, headers: { 'content-type': 'text/html' }, body: code }
}

/** The handler of a Slack incoming webhook living at `path`; any other path is a removed webhook. */
export function slackWebhook(path: string): FakeHandler {
  return (request) => {
    if (request.method !== 'POST') return { status: 405, body: 'invalid_method' }
    if (request.path !== path) return answer('no_service')
    if (!/^application\/json\b/i.test(String(request.headers['content-type'] ?? ''))) return answer('invalid_payload')
    const code = slackError(request.body)
    return code === undefined ? { status: 200, headers: { 'content-type': 'text/html' }, body: 'ok' } : answer(code)
  }
}
