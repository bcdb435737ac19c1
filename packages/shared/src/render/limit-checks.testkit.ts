/** Checks the limit tests and the property tests share: every target limit of every rendering. */
import { renderHtml } from './html.js'
import type { HtmlReport } from './html.js'
import { renderJiraAdf } from './jira-adf.js'
import type { JiraAdfIssue } from './jira-adf.js'
import { renderJiraWiki } from './jira-wiki.js'
import type { JiraWikiIssue } from './jira-wiki.js'
import { TARGET_LIMITS, utf8Bytes } from './limits.js'
import type { Report } from './report.js'
import { DEFAULT_SLACK_CHARS, renderSlack } from './slack.js'
import type { SlackMessage } from './slack.js'
import { renderSplunkEvent } from './splunk.js'
import type { SplunkEventBody } from './splunk.js'
import { renderTeams } from './teams.js'
import type { TeamsAdaptiveMessage } from './teams-adaptive.js'
import type { TeamsMessageCard } from './teams-legacy.js'
import { DEFAULT_BODY_BYTES, renderText } from './text.js'

/** Every renderer's output for the same reports, rendered once for several checks. */
export interface AllOutputs {
  readonly slack: SlackMessage
  readonly teamsAdaptive: TeamsAdaptiveMessage
  readonly teamsLegacy: TeamsMessageCard
  readonly jiraWiki: JiraWikiIssue
  readonly jiraAdf: JiraAdfIssue
  readonly splunk: readonly (readonly [sizeLimit: number, body: SplunkEventBody])[]
  readonly html: HtmlReport
  readonly text: string
}

/** Renders the reports with every renderer, Splunk at 10,000 and at 2,000 bytes. */
export function renderAll(reports: readonly Report[]): AllOutputs {
  return {
    slack: renderSlack(reports),
    teamsAdaptive: renderTeams(reports, { format: 'adaptive' }),
    teamsLegacy: renderTeams(reports, { format: 'legacy' }),
    jiraWiki: renderJiraWiki(reports),
    jiraAdf: renderJiraAdf(reports),
    splunk: [10_000, 2_000].map((sizeLimit) => [sizeLimit, renderSplunkEvent(reports, { sizeLimit })] as const),
    html: renderHtml(reports),
    text: renderText(reports),
  }
}

/** Every target limit these reports break, as readable lines; empty when all hold. */
export function limitViolations(reports: readonly Report[]): string[] {
  return violationsOf(renderAll(reports))
}

/** Every target limit these outputs break, as readable lines; empty when all hold. */
export function violationsOf(out: AllOutputs): string[] {
  const violations = slackViolations(out.slack)
  for (const [format, body] of [
    ['adaptive', out.teamsAdaptive],
    ['legacy', out.teamsLegacy],
  ] as const) {
    const bytes = utf8Bytes(JSON.stringify(body))
    if (bytes > TARGET_LIMITS.teamsBytes) violations.push(`teams ${format}: ${bytes} bytes`)
  }
  for (const summary of [out.jiraWiki.summary, out.jiraAdf.summary]) {
    if (summary.length > TARGET_LIMITS.jira.summary || /[\r\n]/.test(summary)) violations.push(`jira summary: ${summary.length}`)
  }
  if (out.jiraWiki.description.length > TARGET_LIMITS.jira.description) violations.push(`jira wiki: ${out.jiraWiki.description.length}`)
  const adfLength = JSON.stringify(out.jiraAdf.description).length
  if (adfLength > TARGET_LIMITS.jira.description) violations.push(`jira adf: ${adfLength}`)
  for (const [sizeLimit, body] of out.splunk) {
    const bytes = utf8Bytes(JSON.stringify(body))
    if (bytes > sizeLimit) violations.push(`splunk ${sizeLimit}: ${bytes} bytes`)
  }
  const html = utf8Bytes(out.html.html)
  const text = utf8Bytes(out.text)
  if (html > DEFAULT_BODY_BYTES || text > DEFAULT_BODY_BYTES) violations.push(`email: html ${html}, text ${text} bytes`)
  return violations
}

function slackViolations(message: SlackMessage): string[] {
  const limits = TARGET_LIMITS.slack
  const violations: string[] = []
  let total = 0
  if (message.blocks.length > limits.blocks) violations.push(`slack: ${message.blocks.length} blocks`)
  if (message.text.length > limits.sectionText) violations.push(`slack: fallback text ${message.text.length}`)
  for (const block of message.blocks) {
    if (block.type === 'header' && block.text.text.length > limits.headerText) violations.push(`slack header: ${block.text.text.length}`)
    if (block.type === 'section' && 'text' in block) {
      total += block.text.text.length
      if (block.text.text.length > limits.sectionText) violations.push(`slack section: ${block.text.text.length}`)
    }
    if (block.type === 'section' && 'fields' in block) {
      if (block.fields.length > limits.fields) violations.push(`slack: ${block.fields.length} fields`)
      for (const field of block.fields) {
        total += field.text.length
        if (field.text.length > limits.fieldText) violations.push(`slack field: ${field.text.length}`)
      }
    }
  }
  if (total > DEFAULT_SLACK_CHARS) violations.push(`slack: ${total} characters in all`)
  return violations
}

export function kept(text: string, needle: string): number {
  return text.split(needle).length - 1
}

export function omitted(text: string, noun: string): number {
  const match = new RegExp(`and (\\d+) more ${noun}`).exec(text)
  return match === null ? 0 : Number(match[1])
}
