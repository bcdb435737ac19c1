/**
 * The scans every render test runs on: Postee's Aqua fixtures and a generated 5,000-finding scan,
 * each with and without a diff, a Trivy report, a Trivy Operator report, and an aggregated batch.
 * Test-only (`*.testkit.ts`: the package build leaves it out, the test type-check includes it);
 * cases.test.ts checks the fixtures load.
 */
import { readFileSync } from 'node:fs'
import { parseAquaScan } from '../scan/aqua.js'
import { parseScanBody } from '../scan/parse.js'
import { diffFindings } from '../scan/diff.js'
import type { ScanDiff } from '../scan/diff.js'
import { SEVERITIES, countBySeverity } from '../scan/model.js'
import type { Finding, Scan } from '../scan/model.js'
import { buildReport } from './report.js'
import type { Report } from './report.js'

/** Postee's sample payloads, copied into the repository's test/fixtures/aqua/. */
export const FIXTURES = new URL('../../../../test/fixtures/aqua/', import.meta.url)

/** The console URL the cases link to. */
export const AQUA_SERVER = 'https://aqua.example.com'

/** Parses one Aqua fixture by its path under the fixture folder. */
export function fixtureScan(path: string): Scan {
  return parseAquaScan(JSON.parse(readFileSync(new URL(path, FIXTURES), 'utf8')))
}

/** Parses a fixture of any supported format (Aqua, Trivy, Trivy Operator) as ingest does. */
export function anyFixtureScan(path: string): Scan {
  return parseScanBody(readFileSync(new URL(path, FIXTURES))).scan
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
    malware: {
      scanned: true,
      count: 2,
      items: [
        { malware: 'EICAR-Test-File', path: '/tmp/eicar.com', hash: 'sha1:3395856ce81f2b7382dee72602f798b642f14140' },
        { malware: 'Trojan.Generic', path: '/usr/bin/x', hash: '' },
      ],
    },
    sensitiveData: {
      scanned: true,
      count: 1,
      items: [{ type: 'private_key', filename: 'id_rsa', path: '/root/.ssh/id_rsa', hash: 'sha1:abc' }],
    },
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

const OTHER_FORMATS: readonly (readonly [name: string, path: string])[] = [
  ['trivy-input', 'trivy-input.json'],
  ['trivy-operator-input', 'trivy-operator-input.json'],
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
  // The other two scan formats, once each: a diff renders the same whatever the source.
  for (const [name, path] of OTHER_FORMATS)
    cases.push({ name, reports: [buildReport({ scan: anyFixtureScan(path), diff: undefined }, { aquaServer: AQUA_SERVER })] })
  const batch = [
    { scan: fixtureScan('extracted/v1-scanservice_test.AlpineImageSource.json'), diff: undefined },
    { scan: fixtureScan('extracted/v1-aggregatescan_test.mockScan2.json'), diff: undefined },
    { scan: fixtureScan('extracted/v1-scanservice_test.Bkmorrow.json'), diff: undefined },
  ]
  cases.push({ name: 'batch', reports: batch.map((item) => buildReport(item, { aquaServer: AQUA_SERVER })) })
  return cases
}
