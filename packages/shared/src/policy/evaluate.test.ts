import { existsSync, readFileSync } from 'node:fs'
import { expect } from 'chai'
import type { PolicySettings } from '../config/types.js'
import { parseAquaScan } from '../scan/aqua.js'
import type { Scan, ScanOutcome, Severity } from '../scan/model.js'
import { evaluatePolicies, type PolicyDecision } from './evaluate.js'

// The repository's test/fixtures/aqua/, seen from packages/shared/src/policy/.
const FIXTURES = new URL('../../../../test/fixtures/aqua/', import.meta.url)

function fixture(name: string): Scan {
  return parseAquaScan(JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')))
}

function policy(overrides: Partial<PolicySettings> = {}): PolicySettings {
  return {
    minVulnerability: undefined,
    registries: [],
    imageNames: [],
    ignoreRegistries: [],
    ignoreImageNames: [],
    onlyFixAvailable: false,
    nonCompliant: false,
    showAll: false,
    ...overrides,
  }
}

function withScan(overrides: Partial<Scan>): Scan {
  return { ...fixture('extracted/v1-aggregatescan_test.mockScan1.json'), ...overrides }
}

function skipped(decision: PolicyDecision): { key: string; reason: string } {
  if (decision.send) throw new Error('expected the scan to be skipped, but it was sent')
  return { key: decision.key, reason: decision.reason }
}

const MOCK_SCANS = [1, 2, 3, 4, 5].map((n) => fixture(`extracted/v1-aggregatescan_test.mockScan${n}.json`))

function sentCount(settings: PolicySettings, scans: readonly Scan[] = MOCK_SCANS): number {
  return scans.filter((scan) => evaluatePolicies(scan, 'new', settings).send).length
}

describe('evaluatePolicies', () => {
  it('resolves the fixture folder', () => {
    expect(existsSync(new URL('README.md', FIXTURES)), `no fixtures at ${FIXTURES.pathname}`).to.equal(true)
    expect(MOCK_SCANS.map((scan) => scan.image)).to.deep.equal([
      'Demo mock image1',
      'Demo mock Image2',
      'Demo mock Image3',
      'Demo mock image4',
      'Demo mock image5',
    ])
  })

  describe("Postee's expectations on the five mock scans (settings_test.go @60fecc2)", () => {
    const registries = ['registry5', 'REGistry4', 'Registry3']
    const cases: readonly (readonly [name: string, settings: PolicySettings, sent: number])[] = [
      ['no policy', policy(), 5],
      ['Policy-Image-Name [image1, image2]', policy({ imageNames: ['image1', 'image2'] }), 2],
      ['Policy-Registry [registry5, REGistry4, Registry3]', policy({ registries }), 3],
      ['Ignore-Registry [registry5, REGistry4, Registry3]', policy({ ignoreRegistries: registries }), 2],
      ['Ignore-Image-Name [image1, image2]', policy({ ignoreImageNames: ['image1', 'image2'] }), 3],
      ['Policy-Min-Vulnerability critical', policy({ minVulnerability: 'critical' }), 1],
      ['Policy-Min-Vulnerability high', policy({ minVulnerability: 'high' }), 2],
      ['Policy-Min-Vulnerability medium', policy({ minVulnerability: 'medium' }), 3],
      ['Policy-Min-Vulnerability low', policy({ minVulnerability: 'low' }), 4],
      ['Policy-Min-Vulnerability negligible', policy({ minVulnerability: 'negligible' }), 5],
      ['Policy-Non-Compliant: true', policy({ nonCompliant: true }), 4],
    ]
    for (const [name, settings, sent] of cases) {
      it(`${name} → ${sent} sent`, () => {
        expect(sentCount(settings)).to.equal(sent)
      })
    }
  })

  describe('Policy-Only-Fix-Available (settings_test.go @60fecc2)', () => {
    const withFix = fixture('extracted/v1-settings_test.mockScanWithFix.json')
    const withoutFix = fixture('extracted/v1-settings_test.mockScanWithoutFix.json')

    it('sends mockScanWithFix', () => {
      expect(evaluatePolicies(withFix, 'new', policy({ onlyFixAvailable: true }))).to.deep.equal({ send: true })
    })

    it('skips mockScanWithoutFix', () => {
      const decision = skipped(evaluatePolicies(withoutFix, 'new', policy({ onlyFixAvailable: true })))
      expect(decision.key).to.equal('Policy-Only-Fix-Available')
      expect(decision.reason).to.equal('none of the 4 vulnerabilities has a fix version')
    })

    it('sends both when the policy is off', () => {
      expect(sentCount(policy(), [withFix, withoutFix])).to.equal(2)
    })

    it('skips a summary-only scan, which lists no vulnerabilities', () => {
      const decision = skipped(evaluatePolicies(MOCK_SCANS[0]!, 'new', policy({ onlyFixAvailable: true })))
      expect(decision.key).to.equal('Policy-Only-Fix-Available')
    })
  })

  describe('Policy-Min-Vulnerability on the alpine:3.8 scan (2 mediums)', () => {
    const alpine = fixture('extracted/v1-scanservice_test.AlpineImageSource.json')
    const cases: readonly (readonly [Severity, boolean])[] = [
      ['critical', false],
      ['high', false],
      ['medium', true],
      ['low', true],
      ['negligible', true],
    ]
    for (const [level, sent] of cases) {
      it(`${level} → ${sent ? 'sent' : 'not sent'}`, () => {
        expect(evaluatePolicies(alpine, 'new', policy({ minVulnerability: level })).send).to.equal(sent)
      })
    }

    it('names the levels it looked at in the reason', () => {
      expect(skipped(evaluatePolicies(alpine, 'new', policy({ minVulnerability: 'high' })))).to.deep.equal({
        key: 'Policy-Min-Vulnerability',
        reason: 'no vulnerability at high or above (critical 0, high 0)',
      })
    })

    it('lets a scan with no vulnerabilities pass when unset', () => {
      const clean = withScan({ counts: { critical: 0, high: 0, medium: 0, low: 0, negligible: 0 } })
      expect(evaluatePolicies(clean, 'new', policy()).send).to.equal(true)
      expect(evaluatePolicies(clean, 'new', policy({ minVulnerability: 'negligible' })).send).to.equal(false)
    })
  })

  describe('rescans (Policy-Show-All)', () => {
    const scan = MOCK_SCANS[0]!
    const cases: readonly (readonly [ScanOutcome, boolean, boolean])[] = [
      ['new', false, true],
      ['changed', false, true],
      ['unchanged', false, false],
      ['new', true, true],
      ['changed', true, true],
      ['unchanged', true, true],
    ]
    for (const [outcome, showAll, sent] of cases) {
      it(`${outcome} with Policy-Show-All ${showAll} → ${sent ? 'sent' : 'skipped'}`, () => {
        const decision = evaluatePolicies(scan, outcome, policy({ showAll }))
        expect(decision.send).to.equal(sent)
        if (!decision.send) expect(decision.key).to.equal('Policy-Show-All')
      })
    }

    it('still applies the other policies to an unchanged scan under Policy-Show-All', () => {
      const decision = evaluatePolicies(scan, 'unchanged', policy({ showAll: true, ignoreImageNames: ['image1'] }))
      expect(skipped(decision).key).to.equal('Ignore-Image-Name')
    })
  })

  describe('image and registry patterns', () => {
    const cases: readonly (readonly [name: string, scan: Partial<Scan>, settings: PolicySettings, sent: boolean])[] = [
      ['image1 matches "Demo mock image1"', {}, policy({ imageNames: ['image1'] }), true],
      [':latest matches mongo:latest', { image: 'mongo:latest' }, policy({ imageNames: [':latest'] }), true],
      ['mon*: matches mongo:2.2', { image: 'mongo:2.2' }, policy({ imageNames: ['mon*:'] }), true],
      ['mon*: does not match redis:7', { image: 'redis:7' }, policy({ imageNames: ['mon*:'] }), false],
      ['registries are case-insensitive', { registry: 'Docker Hub' }, policy({ registries: ['docker HUB'] }), true],
      ['. is literal', { image: 'mongo:2x2' }, policy({ imageNames: ['mon*:2.2'] }), false],
      ['( is literal and does not throw', { image: 'img(1)' }, policy({ imageNames: ['img(*)'] }), true],
      ['every pattern is tried', { image: 'mongo:2.2' }, policy({ imageNames: ['red*s', 'ngi*x', 'mon*:'] }), true],
      ['an ignore list tries every pattern', { registry: 'Docker Hub' }, policy({ ignoreRegistries: ['q*y', 'dock*hub'] }), false],
      ['an empty item matches nothing', { image: 'mongo:2.2' }, policy({ imageNames: [''] }), false],
      ['an empty item ignores nothing', { image: 'mongo:2.2' }, policy({ ignoreImageNames: [''] }), true],
    ]
    for (const [name, overrides, settings, sent] of cases) {
      it(`${name} → ${sent ? 'sent' : 'skipped'}`, () => {
        expect(evaluatePolicies(withScan(overrides), 'new', settings).send).to.equal(sent)
      })
    }

    it('names the matching pattern of an ignore list', () => {
      const scan = withScan({ registry: 'Docker Hub' })
      expect(skipped(evaluatePolicies(scan, 'new', policy({ ignoreRegistries: ['quay', 'docker'] })))).to.deep.equal({
        key: 'Ignore-Registry',
        reason: 'registry "Docker Hub" matches Ignore-Registry pattern "docker"',
      })
    })

    it('names the whole list when a required match is missing', () => {
      expect(skipped(evaluatePolicies(MOCK_SCANS[0]!, 'new', policy({ registries: ['registry2', 'quay'] })))).to.deep.equal({
        key: 'Policy-Registry',
        reason: 'registry "registry1" matches none of Policy-Registry ["registry2", "quay"]',
      })
    })
  })

  describe('Policy-Non-Compliant', () => {
    it('skips a compliant scan', () => {
      const decision = skipped(evaluatePolicies(MOCK_SCANS[1]!, 'new', policy({ nonCompliant: true })))
      expect(decision.key).to.equal('Policy-Non-Compliant')
    })

    it('skips a scan whose source has no compliance results', () => {
      const scan = withScan({ source: 'trivy', compliance: undefined })
      expect(skipped(evaluatePolicies(scan, 'new', policy({ nonCompliant: true })))).to.deep.equal({
        key: 'Policy-Non-Compliant',
        reason: 'the trivy scan has no image assurance results, so it cannot be non-compliant',
      })
    })

    it('treats an Aqua scan without a disallowed flag as compliant', () => {
      const allInOne = fixture('all-in-one-image.json')
      expect(evaluatePolicies(allInOne, 'new', policy({ nonCompliant: true })).send).to.equal(false)
    })

    it('sends a scan without compliance results when the policy is off', () => {
      expect(evaluatePolicies(withScan({ compliance: undefined }), 'new', policy()).send).to.equal(true)
    })
  })

  describe('the order of the chain: the first failing step is reported', () => {
    // mockScan2: "Demo mock Image2" / registry2, high 0, compliant, no findings; every step below fails.
    const scan = MOCK_SCANS[1]!
    const all: Partial<PolicySettings> = {
      minVulnerability: 'high',
      ignoreRegistries: ['registry2'],
      ignoreImageNames: ['image2'],
      imageNames: ['image9'],
      registries: ['registry9'],
      nonCompliant: true,
      onlyFixAvailable: true,
    }
    const order = [
      ['Policy-Show-All', {}],
      ['Policy-Min-Vulnerability', { showAll: true }],
      ['Ignore-Registry', { showAll: true, minVulnerability: undefined }],
      ['Ignore-Image-Name', { showAll: true, minVulnerability: undefined, ignoreRegistries: [] }],
      ['Policy-Image-Name', { showAll: true, minVulnerability: undefined, ignoreRegistries: [], ignoreImageNames: [] }],
      ['Policy-Registry', { showAll: true, minVulnerability: undefined, ignoreRegistries: [], ignoreImageNames: [], imageNames: [] }],
      [
        'Policy-Non-Compliant',
        { showAll: true, minVulnerability: undefined, ignoreRegistries: [], ignoreImageNames: [], imageNames: [], registries: [] },
      ],
      [
        'Policy-Only-Fix-Available',
        {
          showAll: true,
          minVulnerability: undefined,
          ignoreRegistries: [],
          ignoreImageNames: [],
          imageNames: [],
          registries: [],
          nonCompliant: false,
        },
      ],
    ] as const satisfies readonly (readonly [string, Partial<PolicySettings>])[]
    for (const [key, relaxed] of order) {
      it(`reports ${key} when it is the first failing step`, () => {
        expect(skipped(evaluatePolicies(scan, 'unchanged', policy({ ...all, ...relaxed }))).key).to.equal(key)
      })
    }

    it('sends once every step is relaxed', () => {
      expect(evaluatePolicies(scan, 'unchanged', policy({ showAll: true }))).to.deep.equal({ send: true })
    })
  })
})
