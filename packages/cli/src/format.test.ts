import { expect } from 'chai'
import { parseSince, plural } from './format.js'

describe('cli/format: --since', () => {
  const now = new Date('2026-12-01T12:00:00Z')
  const cases: [string, string | undefined][] = [
    ['30m', '2026-12-01T11:30:00.000Z'],
    ['2h', '2026-12-01T10:00:00.000Z'],
    ['1d', '2026-11-30T12:00:00.000Z'],
    ['1w', '2026-11-24T12:00:00.000Z'],
    ['45s', '2026-12-01T11:59:15.000Z'],
    ['1.5h', '2026-12-01T10:30:00.000Z'],
    [' 2H ', '2026-12-01T10:00:00.000Z'],
    ['2026-11-26T10:00:00Z', '2026-11-26T10:00:00.000Z'],
    ['2026-11-26T10:00:00+01:00', '2026-11-26T09:00:00.000Z'],
    ['2h ago', undefined],
    ['yesterday', undefined],
    ['2', undefined],
    ['2026-13-45', undefined],
    ['', undefined],
  ]
  for (const [text, expected] of cases) {
    it(`${JSON.stringify(text)} → ${expected ?? 'not a time'}`, () => {
      expect(parseSince(text, now)?.toISOString()).to.equal(expected)
    })
  }

  it('writes counts with the noun in the right number', () => {
    expect([0, 1, 2].map((n) => plural(n, 'delivery', 'deliveries'))).to.deep.equal(['0 deliveries', '1 delivery', '2 deliveries'])
  })
})
