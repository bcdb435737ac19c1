import { expect } from 'chai'
import fc from 'fast-check'
import { findMatchingPattern, matchesAny, matchesPattern } from './pattern.js'

describe('matchesPattern', () => {
  const cases: readonly (readonly [value: string, pattern: string, expected: boolean, why: string])[] = [
    ['Demo mock image1', 'image1', true, 'a pattern without * is a substring'],
    ['mongo:latest', ':latest', true, 'substring at the end'],
    ['mongo:latest', 'mongo', true, 'substring at the start'],
    ['mongo:latest', 'mongo:latest', true, 'the whole value'],
    ['mongo:latest', 'mongo:2.2', false, 'no substring'],
    ['Demo mock Image2', 'image2', true, 'case-insensitive: value upper'],
    ['registry4', 'REGistry4', true, 'case-insensitive: pattern upper'],
    ['mongo:2.2', 'mon*:', true, '* is any run, unanchored'],
    ['mongo:2.2', '*:2.2', true, 'leading *'],
    ['mongo:2.2', 'mongo*', true, 'trailing *'],
    ['mongo:2.2', 'm*o*2', true, 'several *'],
    ['mongo:2.2', 'mon**2', true, 'repeated *'],
    ['mongo:2.2', 'mon*:*3', false, 'pieces must all appear'],
    ['mongo:2.2', '2*mongo', false, 'pieces must appear in order'],
    ['mongo:2.2', 'mon*', true, '* may match a run'],
    ['mon', 'mon*', true, '* may match nothing'],
    ['anything', '*', true, 'a lone * matches everything'],
    ['', '*', true, 'a lone * matches even an empty value'],
    ['mongo:2x2', 'mongo:2.2', false, '. is literal without *'],
    ['mongo:2x2', 'mon*:2.2', false, '. is literal with *'],
    ['mongo:2.2', 'mon*:2.2', true, '. matches a dot'],
    ['img(1)', 'img(1', true, '( is literal without *'],
    ['img(1)', 'i*(1)', true, '( and ) are literal with *'],
    ['img1', 'i*(1)', false, '( is not a group'],
    ['a[b]c+d?e\\f^g$h|i{2}', 'a[b]c+d?e\\f^g$h|i{2}', true, 'every regex metacharacter is literal'],
    ['a[b]c+d?e\\f^g$h|i{2}', '[*]*+*?*\\*^*$*|*{2}', true, 'metacharacters literal around *'],
    ['abc', 'a.c', false, '. never matches any character'],
    ['abc', 'a+', false, '+ is not a quantifier'],
    ['aaa', 'a?', false, '? is not a quantifier'],
    ['anything', '', false, 'an empty pattern matches nothing'],
    ['', '', false, 'an empty pattern matches nothing, even an empty value'],
    ['', 'a', false, 'an empty value has no substring'],
  ]
  for (const [value, pattern, expected, why] of cases) {
    it(`${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(value)}: ${why}`, () => {
      expect(matchesPattern(value, pattern)).to.equal(expected)
    })
  }

  it('is stable when the same pattern is reused (cached)', () => {
    for (let i = 0; i < 3; i++) {
      expect(matchesPattern('mongo:2.2', 'mon*:')).to.equal(true)
      expect(matchesPattern('redis:7', 'mon*:')).to.equal(false)
    }
  })

  it('matches any non-empty pattern without * against itself', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, unit: 'binary' }).filter((s) => !s.includes('*')),
        (s) => matchesPattern(s, s),
      ),
    )
  })

  // ASCII only: outside it upper- and lower-casing do not round-trip ('ß' → 'SS' → 'ss').
  it('matches a value that contains a pattern without *, in any case', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string({ minLength: 1 }).filter((s) => !s.includes('*')),
        fc.string(),
        (a, s, b) => matchesPattern(`${a}${s.toUpperCase()}${b}`, s.toLowerCase()),
      ),
    )
  })

  it('never throws, whatever the pattern', () => {
    const patternChars = fc.constantFrom('*', '.', '(', ')', '[', ']', '\\', '+', '?', '^', '$', '|', '{', '}', 'a', 'B')
    fc.assert(
      fc.property(fc.string(), fc.oneof(fc.string(), fc.string({ unit: patternChars })), (value, pattern) => {
        expect(matchesPattern(value, pattern)).to.be.a('boolean')
      }),
    )
  })
})

describe('matchesAny', () => {
  it('tries every pattern of a list, not only the first wildcard one', () => {
    expect(matchesAny('mongo:2.2', ['red*s', 'ngi*x', 'mon*:'])).to.equal(true)
    expect(matchesAny('mongo:2.2', ['red*s', 'latest', '2.2'])).to.equal(true)
  })

  it('is false for an empty list and for a list of empty items', () => {
    expect(matchesAny('mongo:2.2', [])).to.equal(false)
    expect(matchesAny('mongo:2.2', ['', ''])).to.equal(false)
  })

  it('skips empty items and still tries the rest', () => {
    expect(matchesAny('mongo:2.2', ['', 'mongo'])).to.equal(true)
  })
})

describe('findMatchingPattern', () => {
  it('names the first pattern that matches', () => {
    expect(findMatchingPattern('Demo mock image1', ['image2', 'IMAGE*1', 'image1'])).to.equal('IMAGE*1')
  })

  it('is undefined when none matches', () => {
    expect(findMatchingPattern('Demo mock image1', ['image2', 'image3'])).to.equal(undefined)
  })
})
