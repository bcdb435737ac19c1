import { expect } from 'chai'
import { AQUA_SERVER, generatedScan, renderCases } from './cases.testkit.js'
import { renderHtml } from './html.js'
import { renderJiraAdf } from './jira-adf.js'
import { renderJiraWiki } from './jira-wiki.js'
import { fitText, truncate, utf8Bytes } from './limits.js'
import { buildReport } from './report.js'
import { renderSlack } from './slack.js'
import { renderSplunkEvent } from './splunk.js'
import type { SplunkScanEvent } from './splunk.js'
import { renderTeams } from './teams.js'
import { renderText } from './text.js'
import { escapeHtml } from './escape.js'
import { limitViolations, kept, omitted } from './limit-checks.testkit.js'

describe('render limits', () => {
  for (const testCase of renderCases()) {
    it(`${testCase.name}: every target limit holds`, () => {
      expect(limitViolations(testCase.reports)).to.deep.equal([])
    })
  }

  describe('a 5,000-finding scan: kept + "and N more" = total, most severe kept', () => {
    const report = buildReport({ scan: generatedScan(5000), diff: undefined }, { aquaServer: AQUA_SERVER })
    const outputs: readonly [string, string, string][] = [
      ['html', renderHtml([report]).html, 'CVE-2024-'],
      ['text', renderText([report]), 'CVE-2024-'],
      ['jira wiki', renderJiraWiki([report]).description, 'CVE\\-2024\\-'],
      ['jira adf', JSON.stringify(renderJiraAdf([report]).description), 'CVE-2024-'],
      ['slack', JSON.stringify(renderSlack([report])), 'CVE-2024-'],
      ['teams adaptive', JSON.stringify(renderTeams([report], { format: 'adaptive' })), 'CVE-2024-'],
      ['teams legacy', JSON.stringify(renderTeams([report], { format: 'legacy' })), 'CVE-2024-'],
    ]
    // Links hold the id in lower case (…/cve-2024-…), so a case-sensitive count finds one per row.
    for (const [name, output, needle] of outputs) {
      it(name, () => {
        const rows = kept(output, needle)
        const more = omitted(output, 'vulnerabilities')
        expect(more, 'rows were cut, so an "and N more" line is there').to.be.greaterThan(0)
        expect(rows + more).to.equal(5000)
        // Every fifth generated finding is critical, so the kept rows are the first critical ones.
        const first = report.vulnerabilities.slice(0, rows).map((f) => f.vulnerability)
        expect(first.every((id, i) => id === `CVE-2024-${10000 + 5 * i}`)).to.equal(true)
        expect(output).to.include('aqua.example.com/#/images/registry.example.com/team%2Fapp%3A1.0')
      })
    }

    it('splunk', () => {
      const event = renderSplunkEvent([report]).event as SplunkScanEvent
      expect(event.vulnerabilities!.length + event.vulnerabilitiesOmitted!).to.equal(5000)
      expect(event.vulnerabilities!.every((f) => f.severity === 'critical')).to.equal(true)
    })
  })

  it('keeps the header and the diff counts when every row is cut', () => {
    const testCase = renderCases().find((c) => c.name === 'generated-5000-diff')!
    const slack = JSON.stringify(renderSlack(testCase.reports))
    expect(slack).to.include('New findings — Critical: *250* · High: *250* · Medium: *250* · Low: *250* · Negligible: *250*')
    expect(slack).to.include('Critical: *1000* · High: *1000*')
    expect(slack).to.include('`team/app:1.0`')
    const event = renderSplunkEvent(testCase.reports).event as SplunkScanEvent
    expect(event.diff!.newFindings!.length + event.diff!.newFindingsOmitted!).to.equal(1250)
  })

  it('sends a summary event to Splunk at a 2,000-byte limit, never nothing', () => {
    for (const testCase of renderCases()) {
      const body = renderSplunkEvent(testCase.reports, { sizeLimit: 2_000, index: 'security', source: 'postee' })
      expect(utf8Bytes(JSON.stringify(body))).to.be.at.most(2_000)
      expect(body.index).to.equal('security')
      const events = (Array.isArray(body.event) ? body.event : [body.event]) as SplunkScanEvent[]
      expect(events[0]!.image, testCase.name).to.be.a('string').and.not.equal('')
    }
    const scan = { ...generatedScan(20), image: `team/${'a'.repeat(1500)}:1.0` }
    const body = renderSplunkEvent([buildReport({ scan, diff: undefined }, {})], { sizeLimit: 2_000 })
    const event = body.event as SplunkScanEvent
    expect(utf8Bytes(JSON.stringify(body))).to.be.at.most(2_000)
    expect(event.summaryOnly).to.equal(true)
    expect(event.image).to.match(/^team\/a+…$/)
    expect(event.counts).to.deep.equal({ critical: 4, high: 4, medium: 4, low: 4, negligible: 4 })
  })

  it('sheds Splunk findings first, then malware, keeping sensitive data that fits', () => {
    const base = generatedScan(400)
    const item = (i: number): Record<string, string> => ({ malware: `Trojan.Generic.${i}`, path: `/usr/lib/x${i}.so`, hash: `sha1:${i}` })
    const scan = {
      ...base,
      malware: { scanned: true, count: 300, items: Array.from({ length: 300 }, (_, i) => item(i)) },
      sensitiveData: {
        scanned: true,
        count: 3,
        items: base.sensitiveData.items.concat(base.sensitiveData.items, base.sensitiveData.items),
      },
    }
    const event = renderSplunkEvent([buildReport({ scan, diff: undefined }, {})]).event as SplunkScanEvent
    expect(event.vulnerabilities).to.deep.equal([])
    expect(event.vulnerabilitiesOmitted).to.equal(400)
    expect(event.malware).to.deep.equal([])
    expect(event.malwareOmitted).to.equal(300)
    expect(event.sensitiveData).to.have.length(3)
    expect(event.summaryOnly).to.equal(undefined)
  })

  it('leaves whole scans out of a batch that cannot fit, and says how many', () => {
    const reports = Array.from({ length: 30 }, () => renderCases().find((c) => c.name === 'alpine')!.reports[0]!)
    const slack = renderSlack(reports)
    expect(slack.blocks.length).to.be.at.most(50)
    const text = JSON.stringify(slack)
    expect(kept(text, '*`alpine:3.8 vulnerability scan report`*') + omitted(text, 'scans')).to.equal(30)
  })
})

describe('truncate and fitText', () => {
  it('leaves text that fits alone', () => {
    expect(truncate('short', 10)).to.equal('short')
  })

  it('cuts at a code point, never inside a surrogate pair, and ends with …', () => {
    const cut = truncate('ab😀😀😀', 4)
    expect(cut).to.equal('ab…')
    expect(truncate('ab😀😀😀', 5)).to.equal('ab😀…')
  })

  it('measures after escaping, so an entity is never split', () => {
    const escaped = fitText('a&&&&&&&&&', 12, escapeHtml)
    expect(escaped).to.equal('a&amp;&amp;…')
    expect(escaped.length).to.be.at.most(12)
  })
})
