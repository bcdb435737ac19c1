import { expect } from 'chai'
import { parseScanBody } from './parse.js'
import { MAX_LIST_ITEMS, MAX_NAME_LENGTH, MAX_TEXT_LENGTH, ScanRejection, limitRejection } from './rejection.js'

function rejection(body: unknown): ScanRejection | undefined {
  try {
    parseScanBody(Buffer.from(JSON.stringify(body)))
    return undefined
  } catch (error) {
    expect(error).to.be.instanceOf(ScanRejection)
    return error as ScanRejection
  }
}

const AQUA = { image: 'app:1', registry: 'r' }

describe('scan/limits: every list, text and count of any source', () => {
  const walk: [string, unknown, number | undefined, RegExp | undefined][] = [
    ['a list at the limit', { a: Array(MAX_LIST_ITEMS).fill(0) }, undefined, undefined],
    [
      'a list over it, however deep and whatever its name',
      { a: { b: [{ c: Array(MAX_LIST_ITEMS + 1).fill(0) }] } },
      413,
      /the list `a\.b\[0\]\.c` holds more than 100000 items/,
    ],
    [
      'an object with too many fields',
      { a: Object.fromEntries(Array.from({ length: MAX_LIST_ITEMS + 1 }, (_, i) => [`k${i}`, 0])) },
      413,
      /the object `a` has more than 100000 fields/,
    ],
    ['a text at the limit', { a: 'x'.repeat(MAX_TEXT_LENGTH) }, undefined, undefined],
    [
      'a text over it, in a list',
      { a: ['ok', 'x'.repeat(MAX_TEXT_LENGTH + 1)] },
      400,
      /the field `a\[1\]` is longer than 65536 characters/,
    ],
    [
      'a field name over the text limit',
      { a: { ['k'.repeat(MAX_TEXT_LENGTH + 1)]: 1 } },
      400,
      /a field name in `a` is longer than 65536 characters/,
    ],
    ['numbers, booleans and null', { a: [1, -1, true, null] }, undefined, undefined],
  ]
  for (const [name, body, status, message] of walk) {
    it(`walk: ${name}`, () => {
      const found = limitRejection(body)
      expect(found?.status).to.equal(status)
      if (message) expect(found!.message).to.match(message)
    })
  }

  const aqua: [string, unknown, RegExp | undefined][] = [
    ['a CVE id at the name limit', { ...AQUA, resources: [{ vulnerabilities: [{ name: 'C'.repeat(MAX_NAME_LENGTH) }] }] }, undefined],
    [
      'a CVE id over it',
      { ...AQUA, resources: [{ vulnerabilities: [{ name: 'C'.repeat(MAX_NAME_LENGTH + 1) }] }] },
      /`resources\[0\]\.vulnerabilities\[0\]\.name` is longer than 4096/,
    ],
    [
      'a package name over it',
      { ...AQUA, resources: [{ resource: { name: 'p'.repeat(MAX_NAME_LENGTH + 1) } }] },
      /`resources\[0\]\.resource\.name` is longer than 4096/,
    ],
    [
      'an owner over it',
      { ...AQUA, application_scope_owners: ['o'.repeat(MAX_NAME_LENGTH + 1)] },
      /`application_scope_owners\[0\]` is longer than 4096/,
    ],
    ['a zero count', { ...AQUA, vulnerability_summary: { critical: 0 } }, undefined],
    ['a negative count', { ...AQUA, vulnerability_summary: { total: -3 } }, /`vulnerability_summary\.total` is below 0/],
    ['a fractional count', { ...AQUA, vulnerability_summary: { malware: 0.5 } }, /`vulnerability_summary\.malware` is invalid/],
    ['a count beyond a safe integer', { ...AQUA, vulnerability_summary: { low: 2 ** 60 } }, /`vulnerability_summary\.low`/],
  ]
  for (const [name, body, message] of aqua) {
    it(`aqua: ${name}`, () => {
      const found = rejection(body)
      if (message === undefined) expect(found).to.equal(undefined)
      else expect(found?.message).to.match(message)
    })
  }
})
