import { readFileSync } from 'node:fs'
import { expect } from 'chai'
import fc from 'fast-check'
import { parseScanBody } from './parse.js'
import { ScanRejection } from './rejection.js'
import { looksLikeVulnerabilityReport, parseVulnerabilityReport } from './trivy-operator.js'
import { parseTrivyReport } from './trivy.js'

const FIXTURES = new URL('../../../../test/fixtures/aqua/', import.meta.url)
const TESTDATA = new URL('./testdata/', import.meta.url)
const DIGEST = 'sha256:ab6ef8d98985757485185d8815454bdda5be3864b8b37b3328cd9af03f9e2d93'
const WORKLOAD_FILES = [
  'vulnerability-report-default-web.json',
  'vulnerability-report-payments-ledger.json',
  'vulnerability-report-batch-export-envelope.json',
] as const

function readJson(base: URL, name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(name, base), 'utf8')) as Record<string, unknown>
}

function postee(): Record<string, unknown> {
  return readJson(FIXTURES, 'trivy-operator-input.json')
}

function withReport(patch: Record<string, unknown>): Record<string, unknown> {
  const body = postee()
  return { ...body, report: { ...(body.report as Record<string, unknown>), ...patch } }
}

function rejectionOf(action: () => unknown): string {
  try {
    action()
  } catch (error) {
    expect(error).to.be.instanceOf(ScanRejection)
    return (error as ScanRejection).message
  }
  expect.fail('expected a ScanRejection')
}

describe('parseVulnerabilityReport', () => {
  it('maps the shared fixture: Docker Hub identity, every vulnerability, one workload', () => {
    const scan = parseVulnerabilityReport(postee())
    expect(scan).to.include({ source: 'trivy-operator', registry: 'docker.io', image: 'nginx:1.16', digest: '', previousDigest: '' })
    expect(scan.findings).to.have.length(5)
    expect(scan.findings[0]).to.deep.equal({
      resource: 'libbsd0',
      resourceVersion: '0.9.1-2',
      vulnerability: 'CVE-2019-20367',
      severity: 'critical',
      fixVersion: '0.9.1-2+deb10u1',
      link: 'https://avd.aquasec.com/nvd/cve-2019-20367',
    })
    expect(scan.findings[1]).to.deep.equal({
      resource: 'libwebp6',
      resourceVersion: '0.6.1-2',
      vulnerability: 'CVE-2018-25009',
      severity: 'high',
      fixVersion: '',
      title: 'libwebp: out-of-bounds read in WebPMuxCreateInternal',
      link: 'https://avd.aquasec.com/nvd/cve-2018-25009',
    })
    expect(scan.workloads).to.deep.equal([{ namespace: 'default', kind: 'ReplicaSet', name: 'nginx-6d4cf56db6', container: 'nginx' }])
    expect(scan.compliance).to.equal(undefined)
    expect(scan.malware).to.deep.equal({ scanned: false, count: 0, items: [] })
    expect(scan.sensitiveData).to.deep.equal({ scanned: false, count: 0, items: [] })
    expect(scan.owners).to.deep.equal([])
  })

  it('counts the list, not report.summary (the fixture claims 2 criticals and nothing else)', () => {
    const body = postee()
    expect((body.report as { summary: unknown }).summary).to.deep.include({ criticalCount: 2, highCount: 0 })
    expect(parseVulnerabilityReport(body).counts).to.deep.equal({ critical: 1, high: 1, medium: 1, low: 1, negligible: 1 })
    expect(parseVulnerabilityReport(withReport({ summary: 'nonsense' })).counts.critical).to.equal(1)
  })

  it('gives three workloads running one image the same identity and their own workload', () => {
    const scans = WORKLOAD_FILES.map((file) => parseVulnerabilityReport(readJson(TESTDATA, file)))
    for (const scan of scans) {
      expect(scan).to.include({ registry: 'docker.io', image: 'alpine:3.10', digest: DIGEST })
      expect(scan.counts).to.deep.equal({ critical: 2, high: 2, medium: 1, low: 1, negligible: 1 })
    }
    expect(scans.map((scan) => scan.workloads)).to.deep.equal([
      [{ namespace: 'default', kind: 'ReplicaSet', name: 'web-7c9d8f6b5d', container: 'app' }],
      [{ namespace: 'payments', kind: 'StatefulSet', name: 'ledger', container: 'ledger' }],
      [{ namespace: 'batch', kind: 'CronJob', name: 'nightly-export', container: 'exporter' }],
    ])
  })

  it('gives the same image the same (registry, image, digest) and findings as the Trivy CLI', () => {
    const cli = parseTrivyReport(readJson(TESTDATA, 'trivy-image-alpine.json'))
    const operator = parseVulnerabilityReport(readJson(TESTDATA, WORKLOAD_FILES[0]))
    expect([operator.registry, operator.image, operator.digest]).to.deep.equal([cli.registry, cli.image, cli.digest])
    const key = (finding: { resource: string; resourceVersion: string; vulnerability: string }) =>
      `${finding.resource}|${finding.resourceVersion}|${finding.vulnerability}`
    expect(operator.findings.map(key)).to.deep.equal(cli.findings.map(key))
  })

  it('normalises every Docker Hub server name and keeps other registries', () => {
    const identity = (server: unknown, repository: string, tag?: string) => {
      const scan = parseVulnerabilityReport(withReport({ registry: { server }, artifact: { repository, tag } }))
      return `${scan.registry} ${scan.image}`
    }
    expect(identity('index.docker.io', 'library/nginx', '1.16')).to.equal('docker.io nginx:1.16')
    expect(identity('registry-1.docker.io', 'library/nginx', '1.16')).to.equal('docker.io nginx:1.16')
    expect(identity('docker.io', 'bitnami/redis', '7.2')).to.equal('docker.io bitnami/redis:7.2')
    expect(identity('', 'library/nginx', '1.16')).to.equal('docker.io nginx:1.16')
    expect(identity(null, 'library/nginx', '1.16')).to.equal('docker.io nginx:1.16')
    expect(identity('ghcr.io', 'org/app', 'v1')).to.equal('ghcr.io org/app:v1')
    expect(identity('localhost:5000', 'x', 'latest')).to.equal('localhost:5000 x:latest')
    expect(identity('index.docker.io', 'library/nginx')).to.equal('docker.io nginx')
  })

  it('accepts null vulnerabilities (the operator writes an empty list as null)', () => {
    const scan = parseVulnerabilityReport(withReport({ vulnerabilities: null }))
    expect(scan.findings).to.deep.equal([])
    expect(scan.counts).to.deep.equal({ critical: 0, high: 0, medium: 0, low: 0, negligible: 0 })
  })

  it('falls back to links[0] and packagePath', () => {
    const vulnerabilities = [{ vulnerabilityID: 'CVE-1', packagePath: 'app/lib.jar', severity: 'LOW', links: ['', 'https://x/1'] }]
    expect(parseVulnerabilityReport(withReport({ vulnerabilities })).findings).to.deep.equal([
      { resource: 'app/lib.jar', resourceVersion: '', vulnerability: 'CVE-1', severity: 'low', fixVersion: '', link: 'https://x/1' },
    ])
  })

  it('takes the workload from the controlling owner when the name label was replaced by a hash', () => {
    const body = postee()
    const metadata = body.metadata as { labels: Record<string, string> }
    const labels: Record<string, string> = { ...metadata.labels, 'trivy-operator.resource.name-hash': 'abc123' }
    delete labels['trivy-operator.resource.name']
    const scan = parseVulnerabilityReport({ ...body, metadata: { ...metadata, labels } })
    expect(scan.workloads).to.deep.equal([{ namespace: 'default', kind: 'ReplicaSet', name: 'nginx-6d4cf56db6', container: 'nginx' }])
    expect(parseVulnerabilityReport({ ...body, metadata: null }).workloads).to.deep.equal([])
  })

  const rejections: readonly (readonly [name: string, body: unknown, mentions: string])[] = [
    ['no report', { kind: 'VulnerabilityReport', metadata: {} }, '`report` is missing'],
    ['no artifact', { kind: 'VulnerabilityReport', report: { vulnerabilities: [] } }, '`report.artifact` is missing'],
    ['an empty repository', { report: { artifact: { repository: '' }, vulnerabilities: [] } }, '`report.artifact.repository` is invalid'],
    [
      'a vulnerability without an id',
      { report: { artifact: { repository: 'x' }, vulnerabilities: [{ resource: 'a' }] } },
      '`report.vulnerabilities[0].vulnerabilityID` is missing',
    ],
    [
      'another report kind',
      { kind: 'ExposedSecretReport', report: { artifact: { repository: 'x' }, secrets: [] } },
      '`kind` is "ExposedSecretReport"',
    ],
    [
      'a bad report inside the envelope',
      { verb: 'update', operatorObject: { report: { artifact: {} } } },
      '`operatorObject.report.artifact.repository` is missing',
    ],
    ['a delete notification', { verb: 'delete', operatorObject: postee() }, '`delete` notification'],
  ]
  for (const [name, body, mentions] of rejections) {
    it(`rejects ${name}, naming the field`, () => {
      expect(rejectionOf(() => parseVulnerabilityReport(body))).to.include(mentions)
    })
  }

  it('throws nothing but ScanRejection for report-shaped bodies with arbitrary field values', () => {
    const anyField = fc.option(fc.jsonValue(), { nil: undefined })
    const report = fc.record({ registry: anyField, artifact: anyField, summary: anyField, vulnerabilities: anyField })
    const body = fc.record({ kind: fc.constantFrom(undefined, 'VulnerabilityReport'), metadata: anyField, report })
    fc.assert(
      fc.property(body, fc.boolean(), (value, wrapped) => {
        try {
          parseVulnerabilityReport(wrapped ? { verb: 'update', operatorObject: value } : value)
        } catch (error) {
          expect(error).to.be.instanceOf(ScanRejection)
        }
      }),
    )
  })
})

describe('looksLikeVulnerabilityReport', () => {
  it('recognises the kind, the kind-less shape and the envelope, and nothing else', () => {
    expect(looksLikeVulnerabilityReport(postee())).to.equal(true)
    for (const file of WORKLOAD_FILES) expect(looksLikeVulnerabilityReport(readJson(TESTDATA, file)), file).to.equal(true)
    expect(looksLikeVulnerabilityReport({ report: { artifact: {}, vulnerabilities: null } })).to.equal(true)
    expect(looksLikeVulnerabilityReport({ kind: 'VulnerabilityReport' })).to.equal(true)
    expect(looksLikeVulnerabilityReport({ kind: 'ExposedSecretReport', report: { artifact: {}, vulnerabilities: [] } })).to.equal(false)
    expect(looksLikeVulnerabilityReport({ report: { artifact: {}, secrets: [] } })).to.equal(false)
    expect(looksLikeVulnerabilityReport({ verb: 'update', operatorObject: { kind: 'ConfigAuditReport' } })).to.equal(false)
    expect(looksLikeVulnerabilityReport(readJson(FIXTURES, 'trivy-input.json'))).to.equal(false)
    expect(looksLikeVulnerabilityReport(readJson(FIXTURES, 'aqua-input.json'))).to.equal(false)
    expect(looksLikeVulnerabilityReport('VulnerabilityReport')).to.equal(false)
  })

  it('is not claimed by the Aqua parser, so parseScanBody routes it here', () => {
    const body = new TextEncoder().encode(JSON.stringify(postee()))
    expect(parseScanBody(body).scan.source).to.equal('trivy-operator')
    expect(parseScanBody(body, 'trivy-operator').scan.image).to.equal('nginx:1.16')
  })
})
