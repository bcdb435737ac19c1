import { expect } from 'chai'
import { counted, displaySafe } from '../src/format.js'

describe('console text helpers', () => {
  const cases: [number, string][] = [
    [0, '0 deliveries'],
    [1, '1 delivery'],
    [2, '2 deliveries'],
  ]
  for (const [count, expected] of cases) {
    it(`counts ${count} as "${expected}"`, () => expect(counted(count, 'delivery', 'deliveries')).to.equal(expected))
  }

  it('shows no bidirectional override or line separator from API text', () => {
    expect(displaySafe('evil\u202egnp.exe\u2028x')).to.not.match(/[\u202a-\u202e\u2066-\u2069\u2028\u2029]/)
  })
})
