import { escapeSlack, slackCode } from './escape.js'
import { TARGET_LIMITS, fitBatch, fitText } from './limits.js'
import type { BatchView } from './limits.js'
import { cellText, countsText, outlineBatch, tableLines } from './outline.js'
import type { OutlineBlock, OutlineCell } from './outline.js'
import type { Report } from './report.js'

/** A Block Kit text object. */
export interface SlackText {
  readonly type: 'plain_text' | 'mrkdwn'
  readonly text: string
}

/** The Block Kit blocks this renderer writes. */
export type SlackBlock =
  | { readonly type: 'header'; readonly text: SlackText }
  | { readonly type: 'section'; readonly text: SlackText }
  | { readonly type: 'section'; readonly fields: readonly SlackText[] }
  | { readonly type: 'divider' }

/** An incoming-webhook body: Block Kit blocks and the plain `text` fallback for notifications. */
export interface SlackMessage {
  readonly text: string
  readonly blocks: readonly SlackBlock[]
}

/** Size settings for Slack messages. */
export interface SlackOptions {
  /**
   * The most characters of text over all blocks. Slack documents only per-block limits, but
   * rejects long messages with `msg_blocks_too_long` somewhere above 13,000 characters; the
   * default, 12,000, stays under that.
   */
  readonly maxChars?: number
}

/** The default total text budget of a Slack message (see `SlackOptions.maxChars`). */
export const DEFAULT_SLACK_CHARS = 12_000

const LIMITS = TARGET_LIMITS.slack
// A finding's own link only goes into a row when short; the full-report link is on its own line.
const MAX_ROW_LINK = 500

/**
 * Renders reports as a Slack Block Kit message: at most 50 blocks, section texts of at most
 * 3,000 characters, at most 10 fields of at most 2,000 characters per section, a header of at
 * most 150 characters. Data is escaped (`&`, `<`, `>`) and set in code spans, so it neither
 * pings, links nor formats.
 */
export function renderSlack(reports: readonly Report[], options: SlackOptions = {}): SlackMessage {
  const maxChars = options.maxChars ?? DEFAULT_SLACK_CHARS
  return fitBatch(reports, messageOf, (message) => message.blocks.length <= LIMITS.blocks && slackTextLength(message) <= maxChars)
}

function messageOf(batch: BatchView): SlackMessage {
  return { text: fallbackText(batch), blocks: blocksOf(outlineBatch(batch)) }
}

function fallbackText(batch: BatchView): string {
  const title = fitText(batch.title, LIMITS.headerText, escapeSlack)
  const [first] = batch.views
  if (first !== undefined && batch.views.length === 1 && batch.omittedScans === 0) {
    return `${title}: ${countsText(first.report.counts)}`
  }
  return `${title}: ${batch.views.length + batch.omittedScans} scans`
}

// Lines gather into one section until the next would pass 3,000 characters; facts and headers
// get blocks of their own. Packing keeps the block count (50 at most) low.
function blocksOf(outline: readonly OutlineBlock[]): SlackBlock[] {
  const blocks: SlackBlock[] = []
  let lines: string[] = []
  const flush = (): void => {
    if (lines.length > 0) blocks.push(...packLines(lines))
    lines = []
  }
  for (const block of outline) {
    if (block.kind === 'heading' && block.level === 1) {
      flush()
      blocks.push({ type: 'header', text: { type: 'plain_text', text: cellText({ ...block.cell, cap: LIMITS.headerText }, escapeSlack) } })
    } else if (block.kind === 'facts') {
      flush()
      for (let i = 0; i < block.facts.length; i += LIMITS.fields) {
        const fields = block.facts.slice(i, i + LIMITS.fields).map((fact) => mrkdwn(`*${escapeSlack(fact.label)}*\n${cell(fact.value)}`))
        blocks.push({ type: 'section', fields })
      }
    } else if (block.kind === 'divider') {
      flush()
      blocks.push({ type: 'divider' })
    } else lines.push(...blockLines(block))
  }
  flush()
  return blocks
}

function blockLines(block: Exclude<OutlineBlock, { kind: 'facts' | 'divider' }>): string[] {
  switch (block.kind) {
    case 'heading':
      return [`*${cellText(block.cell, block.cell.data ? slackCode : escapeSlack)}*`]
    case 'table':
      return tableLines(block.columns, block.rows, { column: escapeSlack, cell, strong: (text) => `*${text}*`, bullet: '• ' })
    case 'note':
      return [`_${escapeSlack(block.text)}_${block.link === undefined ? '' : ` (${link(block.link, 'the full report')})`}`]
    case 'link':
      return [link(block.url, block.text)]
  }
}

function packLines(lines: readonly string[]): SlackBlock[] {
  const blocks: SlackBlock[] = []
  let text = ''
  for (const line of lines) {
    if (text !== '' && text.length + 1 + line.length > LIMITS.sectionText) {
      blocks.push({ type: 'section', text: mrkdwn(text) })
      text = ''
    }
    text = text === '' ? line : `${text}\n${line}`
  }
  if (text !== '') blocks.push({ type: 'section', text: mrkdwn(text) })
  return blocks
}

function cell(value: OutlineCell): string {
  if (!value.data) return cellText(value, escapeSlack)
  const text = cellText(value, slackCode)
  return value.link !== undefined && value.link.length <= MAX_ROW_LINK ? `${text} ${link(value.link, 'link')}` : text
}

// The URL is already percent-encoded where it came from data; escaping & < > and encoding the
// `|` keeps Slack from reading the URL as anything but one link.
function link(url: string, label: string): string {
  return `<${escapeSlack(url).replace(/\|/g, '%7C')}|${escapeSlack(label)}>`
}

function mrkdwn(text: string): SlackText {
  return { type: 'mrkdwn', text }
}

/** The characters of text over all blocks of a message, as `maxChars` counts them. */
export function slackTextLength(message: SlackMessage): number {
  let total = 0
  for (const block of message.blocks) {
    if ('text' in block) total += block.text.text.length
    if ('fields' in block) for (const field of block.fields) total += field.text.length
  }
  return total
}
