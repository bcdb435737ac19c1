/**
 * The report layer: one target-independent report per scan (`buildReport`) and one pure renderer
 * per target, each keeping within its target's limits by the rule written in limits.ts.
 */
export { BATCH_TITLE, batchTitle, buildReport } from './report.js'
export type { Report, ReportControl, ReportDiff, ReportFinding, ReportItem, ReportOptions, ReportSource } from './report.js'
export { TARGET_LIMITS } from './limits.js'
export { DEFAULT_BODY_BYTES, renderText } from './text.js'
export type { BodyOptions } from './text.js'
export { SUBJECT_MAX, renderHtml } from './html.js'
export type { HtmlReport } from './html.js'
export { renderJiraWiki } from './jira-wiki.js'
export type { JiraWikiIssue } from './jira-wiki.js'
export { renderJiraAdf } from './jira-adf.js'
export type { AdfDoc, AdfMark, AdfNode, JiraAdfIssue } from './jira-adf.js'
export { DEFAULT_SLACK_CHARS, renderSlack, slackTextLength } from './slack.js'
export type { SlackBlock, SlackMessage, SlackOptions, SlackText } from './slack.js'
export { renderTeams } from './teams.js'
export type { TeamsFormat, TeamsOptions } from './teams.js'
export type { AdaptiveElement, TeamsAdaptiveMessage } from './teams-adaptive.js'
export type { MessageCardSection, TeamsMessageCard } from './teams-legacy.js'
export { renderSplunkEvent } from './splunk.js'
export type { SplunkEventBody, SplunkOmittedScans, SplunkOptions, SplunkScanEvent } from './splunk.js'
