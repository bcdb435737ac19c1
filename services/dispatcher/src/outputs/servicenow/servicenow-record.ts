import { createHash } from 'node:crypto'
import { batchTitle, renderHtml, renderText, type Report } from '@postee/shared'

/**
 * The fields of the record Postee creates. Task-based tables (incident, problem, sn_vul_* ...) all
 * have them; the Table API ignores a field a table lacks, so a custom table just keeps fewer.
 *
 * Lengths are the base system's Task [task] dictionary max_length (System Definition > Dictionary;
 * the fields are described in "Important Task table fields", https://docs.servicenow.com/bundle/
 * istanbul-servicenow-platform/page/administer/task-table/reference/r_ImportantTaskTableFields.html):
 * short_description 160, description 4,000, correlation_id and correlation_display 100, work_notes
 * (journal_input) 4,000. An instance cuts longer values silently, so every field is made to fit
 * here by the renderers' own shortening rule instead.
 */
export const FIELD_LIMITS = { shortDescription: 160, description: 4_000, workNotes: 4_000, correlationId: 100 } as const

/** The request body of the create call. */
export interface ServiceNowRecord {
  readonly short_description: string
  /** The report as plain text: `description` is a plain string field. */
  readonly description: string
  /**
   * The report as HTML in a work note: journal fields render text between `[code]` and `[/code]` as
   * HTML ("Journal field type", ServiceNow platform administration docs; allowed unless an admin
   * sets glide.ui.security.allow_codetag to false). Left out when even the shortest report would
   * not fit, since cutting HTML would break it.
   */
  readonly work_notes?: string
  /** Postee's idempotency key for the batch: searched for before anything is created. */
  readonly correlation_id: string
  readonly correlation_display: string
}

const CODE_OPEN = '[code]'
const CODE_CLOSE = '[/code]'

/** Builds the record of a batch's reports; `key` is the batch key, stable across retries and replays. */
export function buildRecord(reports: readonly Report[], key: string): ServiceNowRecord {
  const workNotes = htmlWorkNote(reports)
  return {
    short_description: clip(batchTitle(reports), FIELD_LIMITS.shortDescription),
    // UTF-8 bytes are never fewer than UTF-16 units (ServiceNow's characters), so the byte budget
    // keeps the character limit; clip() only guards against a renderer that could not fit.
    description: clip(renderText(reports, { maxBytes: FIELD_LIMITS.description }), FIELD_LIMITS.description),
    ...(workNotes === undefined ? {} : { work_notes: workNotes }),
    correlation_id: correlationId(key),
    correlation_display: 'postee',
  }
}

/**
 * The correlation id of a batch key: `postee:<key>` when that is short and has only characters that
 * are inert in an encoded query (`^` separates conditions there), else `postee:<sha256 of key>`.
 */
export function correlationId(key: string): string {
  const plain = `postee:${key}`
  if (/^[A-Za-z0-9._:-]+$/.test(key) && plain.length <= FIELD_LIMITS.correlationId) return plain
  return `postee:${createHash('sha256').update(key).digest('hex')}`
}

function htmlWorkNote(reports: readonly Report[]): string | undefined {
  const budget = FIELD_LIMITS.workNotes - CODE_OPEN.length - CODE_CLOSE.length
  const note = `${CODE_OPEN}${bodyOf(renderHtml(reports, { maxBytes: budget }).html)}${CODE_CLOSE}`
  return note.length <= FIELD_LIMITS.workNotes ? note : undefined
}

// renderHtml gives a whole document (for email); a work note holds only what is inside <body>.
function bodyOf(html: string): string {
  const open = /<body[^>]*>/.exec(html)
  const close = html.lastIndexOf('</body>')
  if (open === null || close < open.index) return html
  return html.slice(open.index + open[0].length, close).trim()
}

// Plain text only: cut at a code point boundary, ending with "…".
function clip(text: string, max: number): string {
  if (text.length <= max) return text
  let out = ''
  for (const point of text) {
    if (out.length + point.length > max - 1) break
    out += point
  }
  return `${out.trimEnd()}…`
}
