import { escapeHtml } from './escape.js'
import { fitBatch, truncate, utf8Bytes } from './limits.js'
import type { BatchView } from './limits.js'
import { cellText, outlineBatch } from './outline.js'
import type { OutlineBlock, OutlineCell } from './outline.js'
import { batchTitle } from './report.js'
import type { Report } from './report.js'
import { DEFAULT_BODY_BYTES } from './text.js'
import type { BodyOptions } from './text.js'

/** An HTML report: the subject line (plain text) and the full HTML document. */
export interface HtmlReport {
  readonly subject: string
  readonly html: string
}

/** The most characters of a subject: it is one header line, and mail clients fold and clip long ones anyway. */
export const SUBJECT_MAX = 250

// Inline attributes and styles only: mail clients drop <style> blocks and external sheets. The
// cells carry no style of their own (the table's attributes draw the grid), so a row costs few bytes
// and more of them fit the budget.
const BODY_STYLE = 'font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222222'
const TABLE_OPEN = '<table border="1" cellpadding="4" cellspacing="0" style="border-collapse:collapse;margin-bottom:12px">'

/**
 * Renders reports as an HTML document for email and ServiceNow. Every interpolated string is
 * escaped with `escapeHtml`; the only tags are the ones written here.
 */
export function renderHtml(reports: readonly Report[], options: BodyOptions = {}): HtmlReport {
  const maxBytes = options.maxBytes ?? DEFAULT_BODY_BYTES
  const subject = truncate(batchTitle(reports), SUBJECT_MAX)
  const html = fitBatch(
    reports,
    (batch) => htmlOf(batch),
    (out) => utf8Bytes(out) <= maxBytes,
  )
  return { subject, html }
}

function htmlOf(batch: BatchView): string {
  const title = escapeHtml(truncate(batch.title, SUBJECT_MAX))
  const body = outlineBatch(batch).map(blockHtml).join('\n')
  return [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"><title>' + title + '</title></head>',
    `<body style="${BODY_STYLE}">`,
    body,
    '</body></html>',
    '',
  ].join('\n')
}

function blockHtml(block: OutlineBlock): string {
  switch (block.kind) {
    case 'heading':
      return `<h${block.level}>${cellText(block.cell, escapeHtml)}</h${block.level}>`
    case 'facts':
      return table(block.facts.map((fact) => `<tr><th align="left">${escapeHtml(fact.label)}</th>${td(fact.value)}</tr>`))
    case 'table': {
      const head = `<tr>${block.columns.map((column) => `<th align="left">${escapeHtml(column)}</th>`).join('')}</tr>`
      return table([head, ...block.rows.map((row) => `<tr>${row.map(td).join('')}</tr>`)])
    }
    case 'note':
      return `<p><em>${escapeHtml(block.text)}</em>${block.link === undefined ? '' : ` (${anchor(block.link, 'the full report')})`}</p>`
    case 'link':
      return `<p>${anchor(block.url, block.text)}</p>`
    case 'divider':
      return '<hr>'
  }
}

function table(rows: readonly string[]): string {
  return `${TABLE_OPEN}\n${rows.join('\n')}\n</table>`
}

function td(cell: OutlineCell): string {
  const text = cellText(cell, escapeHtml)
  return `<td>${cell.link === undefined ? text : `<a href="${escapeHtml(cell.link)}">${text}</a>`}</td>`
}

function anchor(url: string, text: string): string {
  return `<a href="${escapeHtml(url)}">${escapeHtml(text)}</a>`
}
