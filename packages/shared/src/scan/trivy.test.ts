import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import fc from 'fast-check'
import { countBySeverity, toSeverity, type Scan } from './model.js'
import { parseScanBody } from './parse.js'
import { ScanRejection } from './rejection.js'
import { looksLikeTrivyReport, parseTrivyReport } from './trivy.js'

const FIXTURES = new URL('../../../../test/fixtures/aqua/', import.meta.url)
const TESTDATA = new URL('./testdata/', import.meta.url)
const DIGEST = 'sha256:ab6ef8d98985757485185d8815454bdda5be3864b8b37b3328cd9af03f9e2d93'
const IMAGE_ID = 'sha256:a0fdbc96de9d4f8e48bb8d2964f1df2db3ea46d2d040a87fdfcce49d18640a29'

function readJson(base: URL, name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(name, base), 'utf8')) as Record<string, unknown>
}

function bytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value))
}

function imageReport(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...readJson(TESTDATA, 'trivy-image-alpine.json'), ...overrides }
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

describe('parseTrivyReport', () => {
  it("resolves Postee's sample payloads from the repository's test/fixtures/aqua/", () => {
    expect(fileURLToPath(FIXTURES)).to.match(/\/test\/fixtures\/aqua\/$/)
    expect(existsSync(new URL('trivy-input.json', FIXTURES))).to.equal(true)
  })

  it('maps the shared filesystem report: artifact type as registry, name as image, no digest', () => {
    const scan = parseTrivyReport(readJson(FIXTURES, 'trivy-input.json'))
    expect(scan).to.include({ source: 'trivy', registry: 'filesystem', image: 'pom.xml', digest: '', previousDigest: '' })
    expect(scan.findings).to.have.length(7)
    expect(scan.findings[0]).to.deep.equal({
      resource: 'log4j:log4j',
      resourceVersion: '1.2.17',
      vulnerability: 'CVE-2019-17571',
      severity: 'critical',
      fixVersion: '2.0-alpha1',
      title: 'log4j: deserialization of untrusted data in SocketServer',
      link: 'https://avd.aquasec.com/nvd/cve-2019-17571',
    })
    expect(scan.findings.map((finding) => finding.severity)).to.deep.equal([
      'critical',
      'critical',
      'high',
      'medium',
      'high',
      'negligible',
      'low',
    ])
    expect(scan.counts).to.deep.equal({ critical: 2, high: 2, medium: 1, low: 1, negligible: 1 })
    expect(scan.findings.filter((finding) => finding.fixVersion !== '')).to.have.length(3)
    expect(scan.compliance).to.equal(undefined)
    expect(scan.malware).to.deep.equal({ scanned: false, count: 0, items: [] })
    expect(scan.sensitiveData).to.deep.equal({ scanned: false, count: 0, items: [] })
    expect(scan.owners).to.deep.equal([])
    expect(scan.workloads).to.deep.equal([])
  })

  it('maps a container image report: registry and image from ArtifactName, digest from RepoDigests', () => {
    const scan = parseTrivyReport(imageReport())
    expect(scan).to.include({ source: 'trivy', registry: 'docker.io', image: 'alpine:3.10', digest: DIGEST })
    expect(scan.counts).to.deep.equal({ critical: 2, high: 2, medium: 1, low: 1, negligible: 1 })
    expect(scan.findings[5]).to.deep.equal({
      resource: 'ssl_client',
      resourceVersion: '1.30.1-r5',
      vulnerability: 'CVE-2021-28831',
      severity: 'low',
      fixVersion: '',
      title: 'busybox: invalid free or segfault via crafted gzip',
      link: 'https://avd.aquasec.com/nvd/cve-2021-28831',
    })
  })

  it('puts Secrets results into sensitiveData without the matched line', () => {
    const { sensitiveData } = parseTrivyReport(imageReport())
    expect(sensitiveData).to.deep.equal({
      scanned: true,
      count: 1,
      items: [
        {
          RuleID: 'aws-access-key-id',
          Category: 'AWS',
          Severity: 'CRITICAL',
          Title: 'AWS Access Key ID',
          Target: '/root/.aws/credentials',
        },
      ],
    })
  })

  it('names the image the same however the reference was written', () => {
    for (const name of ['alpine:3.10', 'docker.io/library/alpine:3.10', 'index.docker.io/library/alpine:3.10', 'library/alpine:3.10']) {
      expect(parseTrivyReport(imageReport({ ArtifactName: name }))).to.include({ registry: 'docker.io', image: 'alpine:3.10' })
    }
    expect(parseTrivyReport(imageReport({ ArtifactName: 'alpine' }))).to.include({ image: 'alpine:latest' })
    expect(parseTrivyReport(imageReport({ ArtifactName: 'localhost:5000/tools/alpine:3.10' }))).to.include({
      registry: 'localhost:5000',
      image: 'tools/alpine:3.10',
    })
  })

  it('drops the tag from the identity when the reference pins a digest', () => {
    const scan = parseTrivyReport(imageReport({ ArtifactName: `alpine:3.10@${DIGEST}` }))
    expect(scan).to.include({ registry: 'docker.io', image: 'alpine', digest: DIGEST })
  })

  it('prefers the RepoDigest of the named repository, then the first, then the pinned digest, then ImageID', () => {
    const other = `sha256:${'1'.repeat(64)}`
    const metadata = (extra: Record<string, unknown>) => ({ Metadata: { ImageID: IMAGE_ID, ...extra } })
    expect(parseTrivyReport(imageReport(metadata({ RepoDigests: [`ghcr.io/x/alpine@${other}`, `alpine@${DIGEST}`] }))).digest).to.equal(
      DIGEST,
    )
    expect(parseTrivyReport(imageReport(metadata({ RepoDigests: [`ghcr.io/x/alpine@${other}`] }))).digest).to.equal(other)
    expect(parseTrivyReport(imageReport({ ArtifactName: `alpine@${other}`, ...metadata({}) })).digest).to.equal(other)
    expect(parseTrivyReport(imageReport(metadata({ RepoDigests: null }))).digest).to.equal(IMAGE_ID)
    expect(parseTrivyReport(imageReport({ Metadata: null })).digest).to.equal('')
  })

  it('falls back to RepoTags when ArtifactName is a tar file path', () => {
    const scan = parseTrivyReport(imageReport({ ArtifactName: '/tmp/alpine.tar' }))
    expect(scan).to.include({ registry: 'docker.io', image: 'alpine:3.10' })
  })

  it('uses PkgPath when a vulnerability has no PkgName', () => {
    const body = {
      SchemaVersion: 2,
      ArtifactName: '.',
      ArtifactType: 'repository',
      Results: [{ Target: 'app.jar', Vulnerabilities: [{ VulnerabilityID: 'CVE-1', PkgPath: 'lib/x.jar', Severity: 'HIGH' }] }],
    }
    const scan = parseTrivyReport(body)
    expect(scan).to.include({ registry: 'repository', image: '.', digest: '' })
    expect(scan.findings).to.deep.equal([
      { resource: 'lib/x.jar', resourceVersion: '', vulnerability: 'CVE-1', severity: 'high', fixVersion: '' },
    ])
  })

  it('reads findings from every result and accepts null lists', () => {
    const body = {
      SchemaVersion: 2,
      ArtifactName: 'repo',
      ArtifactType: 'filesystem',
      Results: [
        { Target: 'a', Vulnerabilities: [{ VulnerabilityID: 'CVE-1', PkgName: 'a', Severity: 'LOW' }] },
        { Target: 'b', Vulnerabilities: null },
        { Target: 'c', Vulnerabilities: [{ VulnerabilityID: 'CVE-2', PkgName: 'c', Severity: 'CRITICAL' }] },
      ],
    }
    expect(parseTrivyReport(body).findings.map((finding) => finding.vulnerability)).to.deep.equal(['CVE-1', 'CVE-2'])
    expect(parseTrivyReport({ ...body, Results: null }).findings).to.deep.equal([])
  })

  const rejections: readonly (readonly [name: string, body: unknown, mentions: string])[] = [
    ['no ArtifactName', { SchemaVersion: 2, ArtifactType: 'filesystem', Results: [] }, '`ArtifactName` is missing'],
    ['no ArtifactType', { SchemaVersion: 2, ArtifactName: 'x', Results: [] }, '`ArtifactType` is missing'],
    ['a string SchemaVersion', { SchemaVersion: '2', ArtifactName: 'x', ArtifactType: 'filesystem' }, '`SchemaVersion` is invalid'],
    [
      'a vulnerability without an id',
      { SchemaVersion: 2, ArtifactName: 'x', ArtifactType: 'filesystem', Results: [{ Vulnerabilities: [{ PkgName: 'a' }] }] },
      '`Results[0].Vulnerabilities[0].VulnerabilityID` is missing',
    ],
    ['Results not a list', { SchemaVersion: 2, ArtifactName: 'x', ArtifactType: 'filesystem', Results: {} }, '`Results` is invalid'],
    [
      'an image name that is no reference',
      { SchemaVersion: 2, ArtifactName: 'Not An Image', ArtifactType: 'container_image' },
      '`ArtifactName` ("Not An Image") is not an image reference',
    ],
  ]
  for (const [name, body, mentions] of rejections) {
    it(`rejects ${name}, naming the field`, () => {
      expect(rejectionOf(() => parseTrivyReport(body))).to.include(mentions)
    })
  }
})

describe('looksLikeTrivyReport', () => {
  it('recognises SchemaVersion with ArtifactName or Results, and nothing else', () => {
    expect(looksLikeTrivyReport(readJson(FIXTURES, 'trivy-input.json'))).to.equal(true)
    expect(looksLikeTrivyReport({ SchemaVersion: 2, Results: [] })).to.equal(true)
    expect(looksLikeTrivyReport({ SchemaVersion: 2 })).to.equal(false)
    expect(looksLikeTrivyReport({ ArtifactName: 'x', Results: [] })).to.equal(false)
    expect(looksLikeTrivyReport(readJson(FIXTURES, 'aqua-input.json'))).to.equal(false)
    expect(looksLikeTrivyReport(readJson(FIXTURES, 'trivy-operator-input.json'))).to.equal(false)
    expect(looksLikeTrivyReport([{ SchemaVersion: 2 }])).to.equal(false)
    expect(looksLikeTrivyReport(null)).to.equal(false)
  })
})

describe('parseScanBody with the three sources', () => {
  const detected: readonly (readonly [file: string, base: URL, source: Scan['source']])[] = [
    ['aqua-input.json', FIXTURES, 'aqua'],
    ['all-in-one-image.json', FIXTURES, 'aqua'],
    ['trivy-input.json', FIXTURES, 'trivy'],
    ['trivy-image-alpine.json', TESTDATA, 'trivy'],
    ['trivy-operator-input.json', FIXTURES, 'trivy-operator'],
    ['vulnerability-report-payments-ledger.json', TESTDATA, 'trivy-operator'],
    ['vulnerability-report-batch-export-envelope.json', TESTDATA, 'trivy-operator'],
  ]
  for (const [file, base, source] of detected) {
    it(`detects ${file} as ${source}`, () => {
      expect(parseScanBody(bytes(readJson(base, file))).scan.source).to.equal(source)
    })
  }

  it('parses with the forced source, and rejects a body of another source naming its missing field', () => {
    const trivy = bytes(readJson(FIXTURES, 'trivy-input.json'))
    expect(parseScanBody(trivy, 'trivy').scan.source).to.equal('trivy')
    expect(rejectionOf(() => parseScanBody(trivy, 'aqua'))).to.include('`image` is missing')
    expect(rejectionOf(() => parseScanBody(trivy, 'trivy-operator'))).to.include('`report` is missing')
    const aqua = bytes(readJson(FIXTURES, 'aqua-input.json'))
    expect(rejectionOf(() => parseScanBody(aqua, 'trivy'))).to.include('`SchemaVersion` is missing')
  })

  it('answers an unknown shape with a 400 listing every accepted shape', () => {
    const message = rejectionOf(() => parseScanBody(bytes({ user: 'demo' })))
    expect(message).to.include('not a scan this service accepts')
    expect(message).to.include('an Aqua image scan')
    expect(message).to.include('a Trivy JSON report')
    expect(message).to.include('a Trivy Operator VulnerabilityReport')
  })

  it('throws nothing but ScanRejection for any JSON value, detected or forced', () => {
    const sources = [undefined, 'aqua', 'trivy', 'trivy-operator'] as const
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(...sources), (value, source) => {
        try {
          parseScanBody(bytes(value), source)
        } catch (error) {
          expect(error).to.be.instanceOf(ScanRejection)
        }
      }),
      { numRuns: 500 },
    )
  })

  it('throws nothing but ScanRejection for Trivy-shaped bodies with arbitrary field values', () => {
    const anyField = fc.option(fc.jsonValue(), { nil: undefined })
    const body = fc.record(
      { SchemaVersion: anyField, ArtifactName: anyField, ArtifactType: anyField, Metadata: anyField, Results: anyField },
      { requiredKeys: ['SchemaVersion'] },
    )
    fc.assert(
      fc.property(body, (value) => {
        try {
          parseTrivyReport(value)
        } catch (error) {
          expect(error).to.be.instanceOf(ScanRejection)
        }
      }),
    )
  })
})

describe('parseTrivyReport properties', () => {
  const severityWord = fc.constantFrom('CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN', 'critical', '', 'bogus')
  const vulnerability = fc.record(
    {
      VulnerabilityID: fc.string({ minLength: 1, maxLength: 12 }),
      PkgName: fc.string({ maxLength: 8 }),
      InstalledVersion: fc.string({ maxLength: 6 }),
      FixedVersion: fc.string({ maxLength: 6 }),
      Severity: severityWord,
    },
    { requiredKeys: ['VulnerabilityID'] },
  )
  const result = fc.record({
    Target: fc.string({ maxLength: 8 }),
    Vulnerabilities: fc.option(fc.array(vulnerability, { maxLength: 6 }), { nil: null }),
  })
  // Valid means an image report names an image; other artifact types may be named anything.
  const artifact = fc.oneof(
    fc.record({
      ArtifactType: fc.constant('container_image'),
      ArtifactName: fc.constantFrom('alpine:3.10', 'ghcr.io/org/app:v1', 'localhost:5000/x'),
    }),
    fc.record({
      ArtifactType: fc.constantFrom('filesystem', 'repository', 'vm'),
      ArtifactName: fc.string({ minLength: 1, maxLength: 12 }),
    }),
  )
  const report = fc.tuple(artifact, fc.array(result, { maxLength: 4 })).map(([named, Results]) => ({ SchemaVersion: 2, ...named, Results }))

  it('counts exactly the findings, one per listed vulnerability, by severity', () => {
    fc.assert(
      fc.property(report, (body) => {
        const scan = parseTrivyReport(body)
        const listed = body.Results.flatMap((entry) => entry.Vulnerabilities ?? [])
        expect(scan.findings).to.have.length(listed.length)
        expect(scan.findings.map((finding) => finding.severity)).to.deep.equal(listed.map((entry) => toSeverity(entry.Severity)))
        expect(scan.counts).to.deep.equal(countBySeverity(scan.findings))
        const total = Object.values(scan.counts).reduce((sum, count) => sum + count, 0)
        expect(total).to.equal(listed.length)
      }),
    )
  })
})
