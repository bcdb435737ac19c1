/** Checks the escaping tests and the property tests share: stray HTML, Slack texts, a hostile report. */
import { generatedScan } from './cases.testkit.js'
import { buildReport } from './report.js'
import type { Report } from './report.js'
import type { SlackMessage } from './slack.js'

/** Every tag our HTML renderer writes; anything else starting with `<` is an escaping bug. */
export const HTML_TAG = /<!DOCTYPE html>|<\/?(?:html|head|body|meta|title|h[1-4]|table|tr|th|td|a|p|em|hr)(?:\s[^<>]*)?>/y

/** The `<` characters of an HTML document that do not open one of our own tags. */
export function strayHtmlBrackets(html: string): number[] {
  const stray: number[] = []
  for (let i = html.indexOf('<'); i !== -1; i = html.indexOf('<', i + 1)) {
    HTML_TAG.lastIndex = i
    if (!HTML_TAG.test(html)) stray.push(i)
  }
  return stray
}

// Our own Slack links: <http(s)://…|label>, the URL without `|`, `<`, `>` or spaces.
export const SLACK_LINK = /<https?:\/\/[^|<>\s]+\|[^<>]*>/g

/** Every Slack text with our own links taken out: what is left must hold no `<` or `>`. */
export function slackTexts(message: SlackMessage): string[] {
  const texts = [message.text]
  for (const block of message.blocks) {
    if ('text' in block) texts.push(block.text.text)
    if ('fields' in block) texts.push(...block.fields.map((field) => field.text))
  }
  return texts.map((text) => text.replace(SLACK_LINK, ''))
}

const HOSTILE = [
  '<!channel>',
  '<@U123>',
  '<script>alert(1)</script>',
  '<http://x|y>',
  '*bold*',
  '{code}',
  '[x|http://evil]',
  'a\r\nX-Injected: yes',
]

export function hostileReport(): Report {
  const base = generatedScan(3)
  const text = HOSTILE.join(' ')
  const scan = {
    ...base,
    image: `img ${text}`,
    registry: `reg ${text}`,
    findings: base.findings.map((finding, i) => ({
      ...finding,
      resource: `pkg ${text}`,
      vulnerability: `CVE-${i} ${text}`,
      title: `title ${text}`,
      link: i === 0 ? 'javascript:alert(1)' : (finding.link ?? 'https://example.com/a'),
    })),
  }
  return buildReport({ scan, diff: undefined }, { aquaServer: 'https://aqua.example.com' })
}
