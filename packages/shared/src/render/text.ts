import { fitBatch, utf8Bytes } from './limits.js'
import type { BatchView } from './limits.js'
import { cellText, outlineBatch } from './outline.js'
import type { OutlineBlock, OutlineCell } from './outline.js'
import type { Report } from './report.js'

/** Size settings for plain-text and HTML bodies. */
export interface BodyOptions {
  /**
   * The most UTF-8 bytes of the body. The default, 100,000, stays under the 102 KB at which
   * Gmail clips a message; a ServiceNow field or another target can pass its own.
   */
  readonly maxBytes?: number
}

/** The default size budget of email bodies (see `BodyOptions.maxBytes`). */
export const DEFAULT_BODY_BYTES = 100_000

/** Renders reports as plain text: the email text part and the fallback wherever markup is not wanted. */
export function renderText(reports: readonly Report[], options: BodyOptions = {}): string {
  const maxBytes = options.maxBytes ?? DEFAULT_BODY_BYTES
  return fitBatch(reports, textOf, (text) => utf8Bytes(text) <= maxBytes)
}

function textOf(batch: BatchView): string {
  return outlineBatch(batch).map(blockText).join('\n\n') + '\n'
}

function blockText(block: OutlineBlock): string {
  switch (block.kind) {
    case 'heading': {
      const text = cellText(block.cell)
      if (block.level > 2) return `${text}:`
      return `${text}\n${(block.level === 1 ? '=' : '-').repeat(Math.min(Array.from(text).length, 72))}`
    }
    case 'facts':
      return block.facts.map((fact) => `${fact.label}: ${cell(fact.value)}`).join('\n')
    case 'table':
      return columns([block.columns, ...block.rows.map((row) => row.map(cell))])
    case 'note':
      return block.link === undefined ? `(${block.text})` : `(${block.text}; the full report: ${block.link})`
    case 'link':
      return `${block.text}: ${block.url}`
    case 'divider':
      return '-'.repeat(72)
  }
}

// Pads every column to its widest cell, so the table lines up in a monospaced mail reader.
function columns(lines: readonly (readonly string[])[]): string {
  const widths: number[] = []
  for (const line of lines) line.forEach((text, i) => (widths[i] = Math.max(widths[i] ?? 0, Array.from(text).length)))
  const pad = (text: string, i: number): string => text + ' '.repeat((widths[i] ?? 0) - Array.from(text).length)
  return lines.map((line) => line.map(pad).join('  ').trimEnd()).join('\n')
}

function cell(value: OutlineCell): string {
  const text = cellText(value)
  return value.link === undefined ? text : `${text} <${value.link}>`
}
