import {
  SEVERITIES,
  buildReport,
  countBySeverity,
  diffFindings,
  parseScanBody,
  type DeliveryBatch,
  type DeliveryItem,
  type Finding,
  type Report,
  type Scan,
} from '@postee/shared'
import { readFixture } from './fixtures.js'

/**
 * Scans for output tests: every fixture an output must render and a generated scan of any size,
 * as the dispatcher hands them to `Output.send`.
 */

/** Every fixture file an output is tested on, by its path under test/fixtures/aqua/. */
export const SCAN_FIXTURES = [
  'aqua-input.json',
  'all-in-one-image.json',
  'extracted/v1-scanservice_test.AlpineImageSource.json',
  'extracted/v1-scanservice_test.Bkmorrow.json',
  'extracted/v1-scanservice_test.AshexPokemongoSource.json',
  'extracted/v1-aggregatescan_test.mockScan1.json',
  'extracted/v1-settings_test.mockScanWithFix.json',
  'trivy-input.json',
  'trivy-operator-input.json',
] as const

/** Stable ids, so golden request bodies do not change between runs. */
function stableId(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
}

/** A delivery item of a fixture, as the dispatcher builds it; `withDiff` adds a diff against a made-up base. */
export function fixtureItem(name: string, options: { withDiff?: boolean; n?: number } = {}): DeliveryItem {
  const { scan, rawBody } = parseScanBody(readFixture(name))
  return itemOf(scan, rawBody, options)
}

/** A delivery item of a generated scan of `count` findings over every level. */
export function generatedItem(count: number, options: { withDiff?: boolean; n?: number } = {}): DeliveryItem {
  const scan = generatedScan(count)
  return itemOf(scan, JSON.stringify({ image: scan.image, registry: scan.registry, generated: count }), options)
}

function itemOf(scan: Scan, rawBody: string, options: { withDiff?: boolean; n?: number }): DeliveryItem {
  const n = options.n ?? 1
  const base = scan.findings
    .filter((_, i) => i % 4 !== 0)
    .concat([
      { resource: 'openssl', resourceVersion: '1.0.2k-r0', vulnerability: 'CVE-2016-0001', severity: 'high', fixVersion: '1.0.2l-r0' },
    ])
  return {
    deliveryId: stableId(n),
    scanId: stableId(1000 + n),
    scan,
    rawBody,
    outcome: options.withDiff ? 'changed' : 'new',
    diff: options.withDiff ? diffFindings(base, scan.findings) : undefined,
    receivedAt: new Date('2026-11-26T12:00:00Z'),
  }
}

/** A batch of items: a single delivery, or an aggregation flush. */
export function batchOf(items: readonly DeliveryItem[], aggregated = items.length > 1): DeliveryBatch {
  return { key: aggregated ? stableId(9999) : items[0]!.deliveryId, items, aggregated }
}

/** The console URL the output tests put in their delivery context. */
export const TEST_AQUA_SERVER = 'https://aqua.example.com'

/**
 * The reports of a batch, built as every output builds them: what an output test compares its
 * request with, so the renderers' goldens (packages/shared/src/render/golden/) stay the only copy.
 */
export function reportsOf(batch: DeliveryBatch, aquaServer: string = TEST_AQUA_SERVER): Report[] {
  return batch.items.map((item) => buildReport(item, { aquaServer, aggregated: batch.aggregated }))
}

/** A deterministic scan of `count` findings spread over every level, with titles, links and workloads. */
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
    malware: { scanned: false, count: 0, items: [] },
    sensitiveData: { scanned: false, count: 0, items: [] },
    owners: ['owner@example.com'],
    workloads: [{ namespace: 'default', kind: 'Deployment', name: 'app', container: 'app' }],
  }
}

const AQUA_LEVELS = ['critical', 'high', 'medium', 'low', 'negligible'] as const

/**
 * The bytes of a large Aqua image-scan webhook body with `findings` vulnerabilities (about 235
 * bytes each, so 85,000 make about 20 MB), ten per resource, over every level: what a big
 * image with an old base posts. `tag` makes the image (and so the scan identity) differ between
 * calls; `digestTag` another digest of the same image (a rescan), `shift` other CVE numbers.
 */
export function largeAquaScanBody(findings: number, tag = 'big', digestTag = tag, shift = 0): Buffer {
  const perResource = 10
  const resources: string[] = []
  for (let r = 0; r * perResource < findings; r++) {
    const vulnerabilities: string[] = []
    for (let v = r * perResource; v < Math.min(findings, (r + 1) * perResource); v++) {
      const cve = `CVE-20${10 + (v % 15)}-${String(100000 + v + shift)}`
      vulnerabilities.push(
        JSON.stringify({
          name: cve,
          description: `Out-of-bounds read in pkg-${r} allows a denial of service.`,
          nvd_url: `https://nvd.nist.gov/vuln/detail/${cve}`,
          aqua_severity: AQUA_LEVELS[v % AQUA_LEVELS.length],
          fix_version: v % 3 === 0 ? '' : `1.${v % 13}.1`,
          aqua_score: 5.5,
        }),
      )
    }
    resources.push(
      `{"resource":{"format":"deb","name":"pkg-${r}","version":"1.${r % 13}.0"},"scanned":true,"vulnerabilities":[${vulnerabilities.join(',')}]}`,
    )
  }
  const counts = Object.fromEntries(AQUA_LEVELS.map((level, i) => [level, Math.floor(findings / 5) + (i < findings % 5 ? 1 : 0)]))
  const head = JSON.stringify({
    image: `team/${tag}:1.0`,
    registry: 'Docker Hub',
    digest: `sha256:${Buffer.from(digestTag).toString('hex').padEnd(64, '0').slice(0, 64)}`,
    vulnerability_summary: { total: findings, ...counts, sensitive: 0, malware: 0 },
    image_assurance_results: { disallowed: true, checks_performed: [{ control: 'max_severity', policy_name: 'Default', failed: true }] },
    scan_options: { scan_malware: true, scan_sensitive_data: true },
    application_scope_owners: ['owner@example.com'],
  })
  return Buffer.from(`${head.slice(0, -1)},"resources":[${resources.join(',')}]}`, 'utf8')
}
