/**
 * The scans every render test runs on: Postee's fixtures and a generated 5,000-finding scan, each
 * with and without a diff, plus an aggregated batch. This file is named `*.test.ts` so the package
 * build leaves it out and the test type-check includes it; its one suite checks the fixtures load.
 */
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { parseAquaScan } from '../scan/aqua.js'
import { diffFindings } from '../scan/diff.js'
import type { ScanDiff } from '../scan/diff.js'
import { SEVERITIES, countBySeverity } from '../scan/model.js'
import type { Finding, Scan } from '../scan/model.js'
import { buildReport } from './report.js'
import type { Report } from './report.js'

/** Postee's fixture folder, resolved from this file: /work/shared/fixtures/aqua/. */
export const FIXTURES = new URL('../../../../../shared/fixtures/aqua/', import.meta.url)

/** The console URL the cases link to. */
export const AQUA_SERVER = 'https://aqua.example.com'

/** Parses one Aqua fixture by its path under the fixture folder. */
export function fixtureScan(path: string): Scan {
  return parseAquaScan(JSON.parse(readFileSync(new URL(path, FIXTURES), 'utf8')))
}

/**
 * A diff that exercises both lists: every fourth finding counts as new, and three findings of the
 * base (openssl, high/medium/low) as fixed.
 */
export function sampleDiff(scan: Scan): ScanDiff {
  const fixed: Finding[] = (['high', 'medium', 'low'] as const).map((severity, i) => ({
    resource: 'openssl',
    resourceVersion: '1.0.2k-r0',
    vulnerability: `CVE-2016-000${i + 1}`,
    severity,
    fixVersion: i === 0 ? '1.0.2l-r0' : '',
  }))
  return diffFindings([...scan.findings.filter((_, i) => i % 4 !== 0), ...fixed], scan.findings)
}

/** A deterministic scan of `count` findings spread over every level, with titles, links, workloads and auxiliary items. */
export function generatedScan(count: number): Scan {
  const findings: Finding[] = Array.from({ length: count }, (_, i) => ({
    resource: `pkg-${i % 700}`,
    resourceVersion: `1.${i % 13}.0`,
    vulnerability: `CVE-2024-${String(10000 + i)}`,
    severity: SEVERITIES[i % SEVERITIES.length]!,
    fixVersion: i % 3 === 0 ? '' : `1.${i % 13}.1`,
    ...(i % 4 === 0 ? { title: `Buffer overflow in pkg-${i % 700}`, link: `https://avd.aquasec.com/nvd/cve-2024-${10000 + i}` } : {}),
  }))
  return {
    source: 'trivy-operator',
    registry: 'registry.example.com',
    image: 'team/app:1.0',
    digest: 'sha256:0000000000000000000000000000000000000000000000000000000000000000',
    previousDigest: '',
    findings,
    counts: countBySeverity(findings),
    compliance: undefined,
    malware: { scanned: true, count: 2, items: [{ malware: 'EICAR-Test-File', path: '/tmp/eicar.com', hash: 'sha1:3395856ce81f2b7382dee72602f798b642f14140' }, { malware: 'Trojan.Generic', path: '/usr/bin/x', hash: '' }] },
    sensitiveData: { scanned: true, count: 1, items: [{ type: 'private_key', filename: 'id_rsa', path: '/root/.ssh/id_rsa', hash: 'sha1:abc' }] },
    owners: [],
    workloads: [
      { namespace: 'default', kind: 'Deployment', name: 'app', container: 'app' },
      { namespace: 'jobs', kind: 'CronJob', name: 'nightly', container: 'worker' },
    ],
  }
}

/** One golden case: a name and the reports a renderer gets. */
export interface RenderCase {
  readonly name: string
  readonly reports: readonly Report[]
}

const SCANS: readonly (readonly [name: string, path: string, linked: boolean])[] = [
  ['aqua-input', 'aqua-input.json', false],
  ['alpine', 'extracted/v1-scanservice_test.AlpineImageSource.json', true],
  ['bkmorrow', 'extracted/v1-scanservice_test.Bkmorrow.json', true],
  ['ashex', 'extracted/v1-scanservice_test.AshexPokemongoSource.json', true],
]

let cached: readonly RenderCase[] | undefined

/** Every golden case, built once: each scan without and with a diff, and an aggregated batch. */
export function renderCases(): readonly RenderCase[] {
  cached ??= buildCases()
  return cached
}

function buildCases(): RenderCase[] {
  const cases: RenderCase[] = []
  const scans: [string, Scan, boolean][] = SCANS.map(([name, path, linked]) => [name, fixtureScan(path), linked])
  scans.push(['generated-5000', generatedScan(5000), true])
  for (const [name, scan, linked] of scans) {
    const options = linked ? { aquaServer: AQUA_SERVER } : {}
    cases.push({ name, reports: [buildReport({ scan, diff: undefined }, options)] })
    cases.push({ name: `${name}-diff`, reports: [buildReport({ scan, diff: sampleDiff(scan) }, options)] })
  }
  const batch = [
    { scan: fixtureScan('extracted/v1-scanservice_test.AlpineImageSource.json'), diff: undefined },
    { scan: fixtureScan('extracted/v1-aggregatescan_test.mockScan2.json'), diff: undefined },
    { scan: fixtureScan('extracted/v1-scanservice_test.Bkmorrow.json'), diff: undefined },
  ]
  cases.push({ name: 'batch', reports: batch.map((item) => buildReport(item, { aquaServer: AQUA_SERVER })) })
  return cases
}

describe('render/cases: the fixtures behind the golden files', () => {
  it('resolves the fixture folder from this file', () => {
    expect(fileURLToPath(FIXTURES)).to.match(/\/shared\/fixtures\/aqua\/$/)
    expect(existsSync(new URL('README.md', FIXTURES))).to.equal(true)
  })

  it('builds every case with the expected number of findings', () => {
    const findings = Object.fromEntries(renderCases().map((c) => [c.name, c.reports.map((r) => r.vulnerabilities.length + (r.omitted?.vulnerabilities ?? 0))]))
    expect(findings['aqua-input']).to.deep.equal([5])
    expect(findings['alpine']).to.deep.equal([2])
    expect(findings['bkmorrow']).to.deep.equal([63])
    expect(findings['ashex']).to.deep.equal([283])
    expect(findings['generated-5000']).to.deep.equal([5000])
    // A report holds at most SUMMARY_ROWS rows per list, the rest counted.
    expect(renderCases().find((c) => c.name === 'generated-5000')!.reports[0]!.vulnerabilities).to.have.length(2000)
    expect(findings['batch']).to.deep.equal([2, 0, 63])
  })
})
