import { expect } from 'chai'
import { escapeHtml, escapeJiraWiki, escapeSlack, escapeTeamsLegacy, escapeTeamsMarkdown, slackCode } from './escape.js'
import { renderHtml } from './html.js'
import { renderJiraAdf } from './jira-adf.js'
import type { AdfNode } from './jira-adf.js'
import { renderJiraWiki } from './jira-wiki.js'
import { renderSlack } from './slack.js'
import { renderTeams } from './teams.js'
import { renderText } from './text.js'
import { strayHtmlBrackets, SLACK_LINK, slackTexts, hostileReport } from './escaping.testkit.js'

describe('render escaping of hostile image names, package names and CVE ids', () => {
  const report = hostileReport()

  it('HTML: only our own tags, hostile text as entities, no javascript: link', () => {
    const { html, subject } = renderHtml([report])
    expect(strayHtmlBrackets(html)).to.deep.equal([])
    expect(html).to.include('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(html).to.include('&lt;!channel&gt;')
    expect(html).not.to.include('javascript:')
    expect(subject).not.to.match(/[\r\n]/)
  })

  it('Slack: no ping, mention or link from data; formatting characters only inside code spans', () => {
    const message = renderSlack([report])
    const texts = slackTexts(message)
    for (const text of texts) expect(text).not.to.match(/[<>]/)
    // The fallback `text` only feeds notifications and the header is plain_text: neither shows
    // formatting. Every mrkdwn text must keep data in code spans.
    const mrkdwn = message.blocks.flatMap((block) => ('fields' in block ? block.fields : block.type === 'section' ? [block.text] : []))
    expect(mrkdwn.length).to.be.greaterThan(3)
    for (const { text } of mrkdwn) expect(text.replace(SLACK_LINK, '').replace(/`[^`]*`/g, '')).not.to.include('*bold*')
    const all = JSON.stringify(message)
    expect(all).to.include('&lt;!channel&gt;')
    expect(all).to.include('&lt;@U123&gt;')
    expect(all).to.include('&lt;http://x|y&gt;')
    expect(all).not.to.include('javascript:')
  })

  it('Jira wiki: braces, brackets, pipes and stars escaped; no line starts with data', () => {
    const { summary, description } = renderJiraWiki([report])
    expect(summary).not.to.match(/[\r\n]/)
    expect(description).to.include('\\{code\\}')
    expect(description).to.include('\\[x\\|http://evil\\]')
    expect(description).to.include('\\*bold\\*')
    expect(description).not.to.match(/(^|[^\\])\{code/)
    expect(description.split('\n').some((line) => line.startsWith('X-Injected'))).to.equal(false)
  })

  it('Jira ADF: data only in text nodes, none with a line break', () => {
    const nodes: AdfNode[] = []
    const walk = (node: AdfNode): void => {
      nodes.push(node)
      node.content?.forEach(walk)
    }
    renderJiraAdf([report]).description.content.forEach(walk)
    const texts = nodes.filter((node) => node.type === 'text').map((node) => node.text!)
    expect(texts.some((text) => text.includes('<script>'))).to.equal(true)
    expect(texts.some((text) => /[\r\n]/.test(text))).to.equal(false)
    const hrefs = nodes.flatMap((node) => node.marks ?? []).flatMap((mark) => ('attrs' in mark ? [mark.attrs.href] : []))
    expect(hrefs.every((href) => /^https:\/\//.test(href))).to.equal(true)
  })

  it('Teams: Markdown characters escaped in both formats, valid JSON', () => {
    for (const format of ['adaptive', 'legacy'] as const) {
      const json = JSON.stringify(renderTeams([report], { format }))
      expect(JSON.parse(json)).to.be.an('object')
      expect(json).to.include('\\\\*bold\\\\*')
      expect(json).to.include('\\\\[x|http://evil\\\\]')
      expect(json).not.to.include('javascript:')
    }
    expect(JSON.stringify(renderTeams([report], { format: 'legacy' }))).to.include('&lt;script&gt;')
  })

  it('text: CR/LF in data never starts a line', () => {
    const lines = renderText([report]).split('\n')
    expect(lines.some((line) => line.startsWith('X-Injected'))).to.equal(false)
  })
})

describe('render escape functions', () => {
  const cases: readonly (readonly [name: string, escape: (text: string) => string, input: string, expected: string])[] = [
    ['html', escapeHtml, `<a href="x">'&'</a>`, '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;'],
    ['slack', escapeSlack, '<!channel> & <@U1>', '&lt;!channel&gt; &amp; &lt;@U1&gt;'],
    ['slack code span', slackCode, 'a`*b*`', '`aˋ*b*ˋ`'],
    ['slack code span of nothing', slackCode, '', '—'],
    ['jira wiki specials', escapeJiraWiki, '{code}[a|b]*_-+^~?!#%()@', '\\{code\\}\\[a\\|b\\]\\*\\_\\-\\+\\^\\~\\?\\!\\#\\%\\(\\)\\@'],
    ['jira wiki backslash and entities', escapeJiraWiki, 'a\\b &amp; &x :P', 'a&#92;b &amp;amp; &x &#58;P'],
    ['teams markdown', escapeTeamsMarkdown, '*a* _b_ [c](d) <e> &f; `g`', '\\*a\\* \\_b\\_ \\[c\\](d) \\<e\\> \\&f; \\`g\\`'],
    ['teams markdown line start', escapeTeamsMarkdown, '1. item', '1\\. item'],
    ['teams markdown version', escapeTeamsMarkdown, '1.28.4-r3', '1.28.4-r3'],
    ['teams markdown list and break', escapeTeamsMarkdown, '- a', '\\- a'],
    ['teams markdown thematic break', escapeTeamsMarkdown, '---', '\\---'],
    ['teams markdown indented code', escapeTeamsMarkdown, '    code', 'code'],
    ['teams markdown heading', escapeTeamsMarkdown, '# title', '\\# title'],
    ['teams legacy', escapeTeamsLegacy, '<b>*x*</b> & y', '&lt;b&gt;\\*x\\*&lt;/b&gt; &amp; y'],
  ]
  for (const [name, escape, input, expected] of cases) {
    it(name, () => expect(escape(input)).to.equal(expected))
  }
})
