import { expect } from 'chai'
import fc from 'fast-check'
import { MAX_NESTING, nestsDeeperThan, parseScanBody } from './parse.js'
import { MAX_LIST_ITEMS, ScanRejection } from './rejection.js'

const bytes = (text: string) => Buffer.from(text, 'utf8')

function rejection(body: Uint8Array, source?: string): ScanRejection {
  try {
    parseScanBody(body, source)
  } catch (error) {
    expect(error).to.be.instanceOf(ScanRejection)
    return error as ScanRejection
  }
  throw new Error('expected a rejection')
}

describe('parseScanBody: hostile and malformed bodies', () => {
  const cases: [string, Uint8Array, number, RegExp][] = [
    ['invalid UTF-8', Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), 400, /not valid UTF-8/],
    ['truncated JSON', bytes('{"image":"x","registry":"r"'), 400, /not JSON/],
    [
      'nesting past the limit',
      bytes(`{"image":"x","registry":"r","deep":${'['.repeat(MAX_NESTING)}${']'.repeat(MAX_NESTING)}}`),
      400,
      /deeper than 64 levels/,
    ],
    ['a 20 MB bracket bomb', bytes('['.repeat(10_000_000)), 400, /deeper than 64 levels/],
    [
      'too many resources',
      bytes(JSON.stringify({ image: 'x', registry: 'r', resources: Array(MAX_LIST_ITEMS + 1).fill({}) })),
      413,
      /holds more than 100000 items/,
    ],
    ['a NUL character escaped in a field', bytes('{"image":"x\\u0000","registry":"r"}'), 400, /NUL character/],
    ['a number where the image goes', bytes('{"image":1,"registry":"r"}'), 400, /`image` is invalid/],
    [
      'an unknown forced source',
      bytes('{"image":"x","registry":"r"}'),
      400,
      /unknown source "grype"; accepted sources: aqua, trivy, trivy-operator/,
    ],
  ]
  for (const [title, body, status, message] of cases) {
    it(`${title} → ${status}`, () => {
      const error = rejection(body, title === 'an unknown forced source' ? 'grype' : undefined)
      expect(error.status).to.equal(status)
      expect(error.message).to.match(message)
    })
  }

  it('an escaped backslash before u0000 is text, not a NUL', () => {
    const { scan } = parseScanBody(bytes('{"image":"x\\\\u0000","registry":"r"}'))
    expect(scan.image).to.equal('x\\u0000')
  })

  it('brackets and quotes inside strings do not count as nesting', () => {
    expect(
      nestsDeeperThan(
        bytes(JSON.stringify({ a: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[', b: '\\"[[', c: 'é[ü{' })),
        2,
      ),
    ).to.equal(false)
    expect(nestsDeeperThan(bytes('[[[]]]'), 2)).to.equal(true)
    expect(nestsDeeperThan(bytes('[[[]]]'), 3)).to.equal(false)
    expect(nestsDeeperThan(new Uint8Array(bytes('[["\\\\"],[[[]]]]')), 3)).to.equal(true)
  })

  it('any bytes: a scan or a ScanRejection, never another error (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (body) => {
        try {
          parseScanBody(body)
        } catch (error) {
          if (!(error instanceof ScanRejection)) throw error
        }
      }),
      { numRuns: 300 },
    )
  })

  it('any JSON value, any source: a scan or a ScanRejection, never another error (property)', () => {
    const source = fc.constantFrom(undefined, 'aqua', 'trivy', 'trivy-operator')
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), source, (value, forced) => {
        try {
          parseScanBody(bytes(JSON.stringify(value)), forced)
        } catch (error) {
          if (!(error instanceof ScanRejection)) throw error
        }
      }),
      { numRuns: 300 },
    )
  })

  it('any strings in an Aqua scan parse, and come back unchanged in the model (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (image, registry, resource, vulnerability) => {
        fc.pre(image.length > 0)
        const body = {
          image,
          registry,
          resources: [{ resource: { name: resource, version: '1' }, vulnerabilities: [{ name: vulnerability, aqua_severity: 'high' }] }],
        }
        const { scan } = parseScanBody(bytes(JSON.stringify(body)))
        expect([scan.image, scan.registry]).to.deep.equal([image, registry])
        expect(scan.findings[0]).to.include({ resource, vulnerability, severity: 'high' })
      }),
      { numRuns: 200 },
    )
  })
})
