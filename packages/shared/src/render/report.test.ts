import { expect } from 'chai'
import { diffFindings } from '../scan/diff.js'
import type { Scan } from '../scan/model.js'
import { fixtureScan, generatedScan } from './cases.testkit.js'
import { summarizeScan } from '../scan/summary.js'
import { renderHtml } from './html.js'
import { viewReport } from './limits.js'
import { BATCH_TITLE, batchTitle, buildReport, groupBySeverity } from './report.js'

describe('buildReport', () => {
  const alpine = fixtureScan('extracted/v1-scanservice_test.AlpineImageSource.json')

  it('titles the report by image and carries the header', () => {
    const report = buildReport({ scan: alpine, diff: undefined })
    expect(report.title).to.equal('alpine:3.8 vulnerability scan report')
    expect(report.image).to.equal('alpine:3.8')
    expect(report.registry).to.equal('Docker Hub')
    expect(report.compliant).to.equal(false)
    expect(report.malwareFound).to.equal(false)
    expect(report.sensitiveDataFound).to.equal(false)
    expect(report.counts).to.deep.equal({ critical: 0, high: 0, medium: 2, low: 0, negligible: 0 })
  })

  it('titles an aggregated message by the batch, even when it holds a single scan', () => {
    const scan = fixtureScan('aqua-input.json')
    expect(batchTitle([buildReport({ scan, diff: undefined })])).to.equal(`${scan.image} vulnerability scan report`)
    expect(batchTitle([buildReport({ scan, diff: undefined }, { aggregated: true })])).to.equal(BATCH_TITLE)
  })

  it('lists the assurance controls with PASS or FAIL', () => {
    const report = buildReport({ scan: alpine, diff: undefined })
    expect(report.controls).to.deep.equal([
      { control: 'max_severity', policyName: 'Default', result: 'PASS' },
      { control: 'trusted_base_images', policyName: 'Default', result: 'FAIL' },
      { control: 'max_score', policyName: 'Default', result: 'PASS' },
    ])
  })

  it('leaves compliance, malware and sensitive data out when the source has none or the scan did not run', () => {
    const scan: Scan = {
      ...generatedScan(1),
      malware: { scanned: false, count: 0, items: [] },
      sensitiveData: { scanned: false, count: 0, items: [] },
    }
    const report = buildReport({ scan, diff: undefined })
    expect(report.compliant).to.equal(undefined)
    expect(report.malwareFound).to.equal(undefined)
    expect(report.sensitiveDataFound).to.equal(undefined)
  })

  it('orders findings most severe first, shows "none" for no fix, keeps titles and http(s) links', () => {
    const report = buildReport({ scan: fixtureScan('aqua-input.json'), diff: undefined })
    expect(report.vulnerabilities.map((f) => f.severity)).to.deep.equal(['critical', 'high', 'medium', 'low', 'negligible'])
    expect(report.vulnerabilities.map((f) => f.fixVersion)).to.include('none')
    const generated = buildReport({ scan: generatedScan(5), diff: undefined })
    expect(generated.vulnerabilities[0]).to.deep.include({
      title: 'Buffer overflow in pkg-0',
      link: 'https://avd.aquasec.com/nvd/cve-2024-10000',
    })
  })

  it('uses the path of file resources that have no name', () => {
    const report = buildReport({ scan: fixtureScan('extracted/v1-scanservice_test.Bkmorrow.json'), diff: undefined })
    expect(report.vulnerabilities.some((f) => f.resource.startsWith('/usr/src/app/node_modules/'))).to.equal(true)
  })

  it('drops links that are not http(s)', () => {
    const scan = generatedScan(1)
    const report = buildReport({ scan: { ...scan, findings: [{ ...scan.findings[0]!, link: 'javascript:alert(1)' }] }, diff: undefined })
    expect(report.vulnerabilities[0]!.link).to.equal(undefined)
  })

  it('builds the console link from encoded parts only when AquaServer is set', () => {
    const scan = { ...alpine, image: 'team/app:1.0 #x', registry: 'Docker Hub/?' }
    expect(buildReport({ scan, diff: undefined }).link).to.equal(undefined)
    expect(buildReport({ scan, diff: undefined }, { aquaServer: 'https://aqua.example.com/' }).link).to.equal(
      'https://aqua.example.com/#/images/Docker%20Hub%2F%3F/team%2Fapp%3A1.0%20%23x',
    )
    expect(buildReport({ scan, diff: undefined }, { aquaServer: 'javascript:alert(1)' }).link).to.equal(undefined)
  })

  it('carries the diff with counts per severity', () => {
    const diff = diffFindings(alpine.findings.slice(1), alpine.findings)
    const report = buildReport({ scan: alpine, diff })
    expect(report.diff!.added.map((f) => f.vulnerability)).to.deep.equal(['CVE-2018-20679'])
    expect(report.diff!.addedCounts.medium).to.equal(1)
    expect(report.diff!.fixed).to.deep.equal([])
  })

  it('turns malware, sensitive data and workloads into rows', () => {
    const report = buildReport({ scan: generatedScan(1), diff: undefined })
    expect(report.malware[0]).to.deep.equal({
      name: 'EICAR-Test-File',
      path: '/tmp/eicar.com',
      hash: 'sha1:3395856ce81f2b7382dee72602f798b642f14140',
    })
    expect(report.sensitiveData[0]).to.deep.equal({ name: 'private_key', path: '/root/.ssh/id_rsa', hash: 'sha1:abc' })
    expect(report.workloads).to.have.length(2)
  })

  it('replaces control characters and lone surrogates in text', () => {
    const report = buildReport({ scan: { ...alpine, image: 'a\r\nb\u0000c\ud800' }, diff: undefined })
    expect(report.image).to.equal('a  b c\ufffd')
  })
})

describe('batchTitle and groupBySeverity', () => {
  const one = buildReport({ scan: generatedScan(10), diff: undefined })

  it('uses the scan title for one report and the batch title for several', () => {
    expect(batchTitle([one])).to.equal('team/app:1.0 vulnerability scan report')
    expect(batchTitle([one, one])).to.equal(BATCH_TITLE)
    expect(BATCH_TITLE).to.equal('Vulnerability scan report')
  })

  it('groups findings by level, most severe first, leaving empty levels out', () => {
    const groups = groupBySeverity(one.vulnerabilities.filter((f) => f.severity !== 'high'))
    expect(groups.map((g) => [g.severity, g.findings.length])).to.deep.equal([
      ['critical', 2],
      ['medium', 2],
      ['low', 2],
      ['negligible', 2],
    ])
  })
})

describe('buildReport of a large scan: bounded rows, whole counts', () => {
  // generatedScan spreads findings over the five levels in turn.
  const whole = generatedScan(12_000)

  const cases: { name: string; scan: Scan; kept: number; omitted: number }[] = [
    { name: 'a whole scan of 12,000 findings', scan: whole, kept: 2_000, omitted: 10_000 },
    { name: 'its stored summary (summarizeScan)', scan: summarizeScan(whole), kept: 2_000, omitted: 10_000 },
    { name: 'a summary of a summary cut to 100', scan: summarizeScan(summarizeScan(whole), 100), kept: 100, omitted: 11_900 },
  ]
  for (const { name, scan, kept, omitted } of cases) {
    it(`${name}: ${kept} rows, most severe first, and "and N more" counts every other finding`, () => {
      const report = buildReport({ scan, diff: undefined })
      expect(report.vulnerabilities).to.have.length(kept)
      expect(report.vulnerabilities.every((row) => row.severity === 'critical')).to.equal(true)
      expect(report.omitted?.vulnerabilities).to.equal(omitted)
      const view = viewReport(report, 10)
      expect(view.vulnerabilities.rows).to.have.length(10)
      expect(view.vulnerabilities.omitted + view.vulnerabilities.rows.length).to.equal(12_000)
    })
  }

  it('a summary renders the same message as the whole scan', () => {
    const html = (scan: Scan) => renderHtml([buildReport({ scan, diff: undefined })]).html
    expect(html(summarizeScan(whole))).to.equal(html(whole))
  })
})
