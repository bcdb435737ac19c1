import { TARGET_LIMITS, fitBatch } from './limits.js'
import type { BatchView } from './limits.js'
import { cellText, outlineBatch } from './outline.js'
import type { OutlineBlock, OutlineCell } from './outline.js'
import type { Report } from './report.js'
import { jiraSummary } from './jira-wiki.js'

/** A mark on an ADF text node. */
export type AdfMark = { readonly type: 'strong' | 'em' } | { readonly type: 'link'; readonly attrs: { readonly href: string } }

/** An ADF node: the few kinds this renderer writes. */
export interface AdfNode {
  readonly type: string
  readonly attrs?: Readonly<Record<string, unknown>>
  readonly content?: readonly AdfNode[]
  readonly text?: string
  readonly marks?: readonly AdfMark[]
}

/** An Atlassian Document Format document, the description format of Jira Cloud (REST API v3). */
export interface AdfDoc {
  readonly version: 1
  readonly type: 'doc'
  readonly content: readonly AdfNode[]
}

/** A Jira Cloud issue's text fields: a plain summary and an ADF description. */
export interface JiraAdfIssue {
  readonly summary: string
  readonly description: AdfDoc
}

/**
 * Renders reports as a Jira Cloud summary (≤ 255 characters) and an ADF description whose
 * serialized JSON is at most 32,767 characters. Text nodes are inert (Jira never parses markup in
 * them), so escaping is structural: data only ever goes into `text` and `href` values.
 */
export function renderJiraAdf(reports: readonly Report[]): JiraAdfIssue {
  return {
    summary: jiraSummary(reports),
    description: fitBatch(reports, docOf, (doc) => JSON.stringify(doc).length <= TARGET_LIMITS.jira.description),
  }
}

function docOf(batch: BatchView): AdfDoc {
  return { version: 1, type: 'doc', content: outlineBatch(batch).map(blockNode) }
}

function blockNode(block: OutlineBlock): AdfNode {
  switch (block.kind) {
    case 'heading':
      return { type: 'heading', attrs: { level: block.level }, content: texts(cellText(block.cell)) }
    case 'facts':
      return table(block.facts.map((fact) => row([header(fact.label), cell(fact.value)])))
    case 'table':
      return table([row(block.columns.map(header)), ...block.rows.map((cells) => row(cells.map(cell)))])
    case 'note':
      return paragraph([
        ...texts(block.text, [{ type: 'em' }]),
        ...(block.link === undefined ? [] : [...texts(' ('), ...texts('the full report', [link(block.link)]), ...texts(')')]),
      ])
    case 'link':
      return paragraph(texts(block.text, [link(block.url)]))
    case 'divider':
      return { type: 'rule' }
  }
}

function table(rows: readonly AdfNode[]): AdfNode {
  return { type: 'table', attrs: { isNumberColumnEnabled: false, layout: 'default' }, content: rows }
}

function row(cells: readonly AdfNode[]): AdfNode {
  return { type: 'tableRow', content: cells }
}

function header(text: string): AdfNode {
  return { type: 'tableHeader', attrs: {}, content: [paragraph(texts(text, [{ type: 'strong' }]))] }
}

function cell(value: OutlineCell): AdfNode {
  const marks = value.link === undefined ? undefined : [link(value.link)]
  return { type: 'tableCell', attrs: {}, content: [paragraph(texts(cellText(value), marks))] }
}

function paragraph(content: readonly AdfNode[]): AdfNode {
  return { type: 'paragraph', content }
}

// ADF rejects an empty text node, so empty text becomes no node at all.
function texts(text: string, marks?: readonly AdfMark[]): AdfNode[] {
  if (text === '') return []
  return [marks === undefined ? { type: 'text', text } : { type: 'text', text, marks }]
}

function link(href: string): AdfMark {
  return { type: 'link', attrs: { href } }
}
