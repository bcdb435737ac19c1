/**
 * Escaping for every target, in one place so each rule is written (and tested) once. Every
 * function takes plain text that `buildReport` already cleaned (no control characters, no lone
 * surrogates) and returns text that the target shows literally.
 */

const HTML_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char]!)
}

/**
 * Escapes Slack's three control characters. Slack decodes exactly these entities and nothing else,
 * so `<!channel>`, `<@U123>` and `<http://x|y>` in data show as text instead of pinging or linking.
 */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/**
 * Slack mrkdwn has no escape for `*`, `_`, `~` or backticks, so data goes inside an inline code
 * span, where Slack applies no formatting; a backtick in data (which would close the span) becomes
 * the look-alike U+02CB. Empty values show as an em dash, since an empty code span renders as two
 * stray backticks.
 */
export function slackCode(text: string): string {
  if (text === '') return '—'
  return '`' + escapeSlack(text.replace(/`/g, '\u02cb')) + '`'
}

// One pass, so an entity written for one character is never escaped again by another rule. The
// bracketed class is what Jira's BackslashEscapeRendererComponent accepts after a backslash.
const JIRA_TOKEN = /&(?=#?[a-zA-Z0-9]+;)|\\|:(?=[PpDd])|[-#*_+?^~|%{}[\]()!@]/g
const JIRA_ENTITY: Readonly<Record<string, string>> = { '&': '&amp;', '\\': '&#92;', ':': '&#58;' }

/**
 * Escapes text for Jira wiki markup (Server/Data Center, API v2).
 *
 * Backslash-escaping is chosen over `{noformat}` because data sits in table cells, where a block
 * macro cannot go, and because a `{noformat}` inside the data would end the block early. Every
 * character Jira's renderer accepts after a backslash is escaped wherever it appears, which also
 * disarms line-start markers (`#`, `*`, `-`, `----`); word markers such as `h1.` or `bq.` never
 * reach a line start, since data always follows a label or a `|`. A literal backslash cannot be
 * escaped that way (`\\` is a forced line break), so it becomes the entity `&#92;`; an `&` that
 * would start an entity becomes `&amp;`; a `:` before `P` or `D` becomes `&#58;` so the `:P` and
 * `:D` emoticons do not render (every other emoticon contains an escaped parenthesis).
 */
export function escapeJiraWiki(text: string): string {
  return text.replace(JIRA_TOKEN, (char) => JIRA_ENTITY[char] ?? '\\' + char)
}

/**
 * Percent-encodes the characters that would end a Jira `[label|url]` link or start markup inside
 * it, so a URL taken from data stays one link.
 */
export function jiraLinkUrl(url: string): string {
  return url.replace(/[|[\]{}\s]/g, (char) => '%' + char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'))
}

// Inline punctuation that opens emphasis, code, a link, an autolink or an entity anywhere in a line.
const MARKDOWN_INLINE = /[\\`*_~[\]<>&]/g
// Block markers that only act at the start of a line and before a space (or alone): a heading, a
// list item, a thematic break, an ordered list item. "1.28.4" is no list item, so it stays as is.
const MARKDOWN_LINE_START = /^(?:[#+-](?=\s|$)|-(?=[-\s]*$)|\d+(?=[.)](?:\s|$)))/

/**
 * Escapes text for the Markdown subset of Adaptive Card TextBlocks, FactSets and table cells:
 * CommonMark's backslash escape on every character that could open emphasis, code, a link, an
 * autolink or an entity, and on a leading block marker, so data never forms markup or a link.
 * Other punctuation (`-` in CVE ids, `.` in versions) is left alone to keep values readable, and
 * leading spaces are dropped, since four of them would open a code block.
 */
export function escapeTeamsMarkdown(text: string): string {
  return escapeLineStart(text.trimStart().replace(MARKDOWN_INLINE, (char) => '\\' + char))
}

/**
 * Escapes text for legacy Office 365 connector cards, whose text fields accept Markdown and a
 * limited set of HTML: the Markdown escape above without `<`, `>` and `&`, which instead become
 * entities so no tag forms.
 */
export function escapeTeamsLegacy(text: string): string {
  return escapeLineStart(text.trimStart().replace(/[\\`*_~[\]]/g, (char) => '\\' + char))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
}

// The backslash goes before a marker character, or between the digits and the dot of "1. ".
function escapeLineStart(text: string): string {
  return text.replace(MARKDOWN_LINE_START, (marker) => (/^\d/.test(marker) ? marker + '\\' : '\\' + marker))
}

/** True for an absolute http(s) URL without whitespace: the only links any renderer emits. */
export function isSafeUrl(url: string): boolean {
  return /^https?:\/\/[^\s<>"']+$/i.test(url)
}
