import { escapeTeamsMarkdown } from './escape.js'
import type { BatchView } from './limits.js'
import { cellText, outlineBatch } from './outline.js'
import type { OutlineBlock, OutlineCell } from './outline.js'

/** An Adaptive Card element: the TextBlock, FactSet and Table elements this renderer writes. */
export type AdaptiveElement = Readonly<Record<string, unknown>> & { readonly type: string }

/** A Teams Workflows webhook body: a message carrying one Adaptive Card (schema 1.5). */
export interface TeamsAdaptiveMessage {
  readonly type: 'message'
  readonly attachments: readonly [
    {
      readonly contentType: 'application/vnd.microsoft.card.adaptive'
      readonly contentUrl: null
      readonly content: {
        readonly $schema: string
        readonly type: 'AdaptiveCard'
        readonly version: '1.5'
        readonly msteams: { readonly width: 'Full' }
        readonly body: readonly AdaptiveElement[]
      }
    },
  ]
}

const HEADING_SIZE = { 1: 'Large', 2: 'Medium', 3: 'Default', 4: 'Default' } as const

/**
 * Lays a batch out as an Adaptive Card 1.5 (the version that has Table). Every text from data is
 * Markdown-escaped, since TextBlocks, facts and cells all render Markdown.
 */
export function adaptiveMessageOf(batch: BatchView): TeamsAdaptiveMessage {
  const body: AdaptiveElement[] = []
  let separator = false
  for (const block of outlineBatch(batch)) {
    if (block.kind === 'divider') {
      separator = true
      continue
    }
    const element = elementOf(block)
    body.push(separator ? { ...element, separator: true } : element)
    separator = false
  }
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.5',
          msteams: { width: 'Full' },
          body,
        },
      },
    ],
  }
}

function elementOf(block: Exclude<OutlineBlock, { kind: 'divider' }>): AdaptiveElement {
  switch (block.kind) {
    case 'heading':
      return {
        type: 'TextBlock',
        text: cellText(block.cell, escapeTeamsMarkdown),
        size: HEADING_SIZE[block.level],
        weight: 'Bolder',
        wrap: true,
      }
    case 'facts':
      return {
        type: 'FactSet',
        facts: block.facts.map((fact) => ({ title: escapeTeamsMarkdown(fact.label), value: cell(fact.value) })),
      }
    case 'table':
      return {
        type: 'Table',
        firstRowAsHeader: true,
        columns: block.columns.map(() => ({ width: 1 })),
        rows: [
          tableRow(block.columns.map((column) => textBlock(escapeTeamsMarkdown(column) || ' ', true))),
          ...block.rows.map((row) => tableRow(row.map((value) => textBlock(cell(value), false)))),
        ],
      }
    case 'note': {
      const link = block.link === undefined ? '' : ` ([the full report](${markdownUrl(block.link)}))`
      return { type: 'TextBlock', text: `_${escapeTeamsMarkdown(block.text)}_${link}`, isSubtle: true, wrap: true }
    }
    case 'link':
      return { type: 'TextBlock', text: `[${escapeTeamsMarkdown(block.text)}](${markdownUrl(block.url)})`, wrap: true }
  }
}

function tableRow(cells: readonly AdaptiveElement[]): AdaptiveElement {
  return { type: 'TableRow', cells: cells.map((item) => ({ type: 'TableCell', items: [item] })) }
}

function textBlock(text: string, bold: boolean): AdaptiveElement {
  return bold ? { type: 'TextBlock', text, weight: 'Bolder', wrap: true } : { type: 'TextBlock', text, wrap: true }
}

// An empty TextBlock is invalid in some hosts, so an empty value shows as a dash.
function cell(value: OutlineCell): string {
  const text = cellText(value, escapeTeamsMarkdown) || '—'
  return value.link === undefined ? text : `[${text}](${markdownUrl(value.link)})`
}

/**
 * Percent-encodes what would end a Markdown link target early (parentheses, brackets, angle
 * brackets, spaces); encodeURIComponent leaves parentheses alone, so an image name can hold them.
 */
export function markdownUrl(url: string): string {
  return url.replace(/[()[\]<>\s]/g, (char) => '%' + char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'))
}
