import { escapeJiraWiki, jiraLinkUrl } from './escape.js'
import { TARGET_LIMITS, fitBatch, truncate } from './limits.js'
import type { BatchView } from './limits.js'
import { cellText, outlineBatch } from './outline.js'
import type { OutlineBlock, OutlineCell } from './outline.js'
import { batchTitle } from './report.js'
import type { Report } from './report.js'

/** A Jira issue's text fields in wiki markup (Jira Server/Data Center, REST API v2). */
export interface JiraWikiIssue {
  /** Plain text: Jira does not render markup in the summary. */
  readonly summary: string
  readonly description: string
}

/** Renders reports as a Jira summary (≤ 255 characters) and a wiki-markup description (≤ 32,767). */
export function renderJiraWiki(reports: readonly Report[]): JiraWikiIssue {
  return {
    summary: jiraSummary(reports),
    description: fitBatch(reports, descriptionOf, (text) => text.length <= TARGET_LIMITS.jira.description),
  }
}

/** The issue summary shared by both Jira formats: the title, cut to Jira's 255 characters. */
export function jiraSummary(reports: readonly Report[]): string {
  return truncate(batchTitle(reports), TARGET_LIMITS.jira.summary)
}

function descriptionOf(batch: BatchView): string {
  return outlineBatch(batch).map(blockWiki).join('\n\n') + '\n'
}

function blockWiki(block: OutlineBlock): string {
  switch (block.kind) {
    case 'heading':
      return `h${block.level}. ${cellText(block.cell, escapeJiraWiki)}`
    case 'facts':
      return block.facts.map((fact) => `||${escapeJiraWiki(fact.label)}|${cell(fact.value)}|`).join('\n')
    case 'table':
      return [
        `||${block.columns.map((column) => headerCell(column)).join('||')}||`,
        ...block.rows.map((row) => `|${row.map(cell).join('|')}|`),
      ].join('\n')
    case 'note':
      return `_${escapeJiraWiki(block.text)}_${block.link === undefined ? '' : ` ([the full report|${jiraLinkUrl(block.link)}])`}`
    case 'link':
      return `[${escapeJiraWiki(block.text)}|${jiraLinkUrl(block.url)}]`
    case 'divider':
      return '----'
  }
}

// An empty cell would read as `||`, which Jira parses as a header cell; a space keeps it a cell.
function headerCell(text: string): string {
  return text === '' ? ' ' : escapeJiraWiki(text)
}

function cell(value: OutlineCell): string {
  const text = cellText(value, escapeJiraWiki)
  if (text === '') return ' '
  return value.link === undefined ? text : `[${text}|${jiraLinkUrl(value.link)}]`
}
