import { SEVERITIES } from '../scan/model.js'
import { escapeTeamsLegacy } from './escape.js'
import { truncate } from './limits.js'
import type { BatchView } from './limits.js'
import { cellText, outlineBatch, tableLines } from './outline.js'
import type { OutlineBlock, OutlineCell } from './outline.js'
import { markdownUrl } from './teams-adaptive.js'

/** One section of a legacy connector card. */
export interface MessageCardSection {
  readonly startGroup?: boolean
  readonly markdown: true
  readonly text?: string
  readonly facts?: readonly { readonly name: string; readonly value: string }[]
}

/** An Office 365 connector card (the legacy Teams incoming-webhook format). */
export interface TeamsMessageCard {
  readonly '@type': 'MessageCard'
  readonly '@context': 'https://schema.org/extensions'
  /** Plain text: what notifications show. */
  readonly summary: string
  readonly themeColor: string
  readonly sections: readonly MessageCardSection[]
  readonly potentialAction?: readonly {
    readonly '@type': 'OpenUri'
    readonly name: string
    readonly targets: readonly { readonly os: 'default'; readonly uri: string }[]
  }[]
}

// The accent colour says how bad the worst finding is, most severe first.
const THEME_COLORS = { critical: 'B71C1C', high: 'E65100', medium: 'F9A825', low: '1565C0', negligible: '607D8B' } as const
const CLEAN_COLOR = '2E7D32'
const SUMMARY_MAX = 250

/**
 * Lays a batch out as a legacy MessageCard. Section text is Markdown with limited HTML, so data is
 * escaped for both (`escapeTeamsLegacy`); lines are separate paragraphs, since a single newline
 * does not break a line there.
 */
export function messageCardOf(batch: BatchView): TeamsMessageCard {
  const sections: MessageCardSection[] = []
  const links: { name: string; uri: string }[] = []
  let lines: string[] = []
  let startGroup = false
  const flush = (facts?: MessageCardSection['facts']): void => {
    if (lines.length === 0 && facts === undefined) return
    sections.push({
      ...(startGroup ? { startGroup: true } : {}),
      markdown: true,
      ...(lines.length > 0 ? { text: lines.join('\n\n') } : {}),
      ...(facts !== undefined ? { facts } : {}),
    })
    lines = []
    startGroup = false
  }
  for (const block of outlineBatch(batch)) {
    if (block.kind === 'divider') {
      flush()
      startGroup = true
    } else if (block.kind === 'facts') {
      flush(block.facts.map((fact) => ({ name: escapeTeamsLegacy(fact.label), value: cell(fact.value) })))
    } else {
      if (block.kind === 'heading' && block.level <= 2) flush()
      if (block.kind === 'link') links.push({ name: block.text, uri: block.url })
      lines.push(...blockLines(block))
    }
  }
  flush()
  return {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: truncate(batch.title, SUMMARY_MAX),
    themeColor: themeColor(batch),
    sections,
    ...(links.length > 0
      ? {
          potentialAction: links.map((link) => ({
            '@type': 'OpenUri' as const,
            name: link.name,
            targets: [{ os: 'default' as const, uri: link.uri }],
          })),
        }
      : {}),
  }
}

function blockLines(block: Exclude<OutlineBlock, { kind: 'facts' | 'divider' }>): string[] {
  switch (block.kind) {
    case 'heading':
      return [`**${cellText(block.cell, escapeTeamsLegacy)}**`]
    case 'table':
      return tableLines(block.columns, block.rows, { column: escapeTeamsLegacy, cell, strong: (text) => `**${text}**`, bullet: '' })
    case 'note': {
      const link = block.link === undefined ? '' : ` ([the full report](${markdownUrl(block.link)}))`
      return [`_${escapeTeamsLegacy(block.text)}_${link}`]
    }
    case 'link':
      return [`[${escapeTeamsLegacy(block.text)}](${markdownUrl(block.url)})`]
  }
}

function cell(value: OutlineCell): string {
  const text = cellText(value, escapeTeamsLegacy)
  const shown = text === '' ? '—' : text
  return value.link === undefined ? shown : `[${shown}](${markdownUrl(value.link)})`
}

function themeColor(batch: BatchView): string {
  const worst = SEVERITIES.find((severity) => batch.views.some((view) => view.report.counts[severity] > 0))
  return worst === undefined ? CLEAN_COLOR : THEME_COLORS[worst]
}
