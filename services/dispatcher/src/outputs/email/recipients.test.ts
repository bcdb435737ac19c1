import { expect } from 'chai'
import type { DeliveryItem } from '@postee/shared'
import { fixtureItem } from '@postee/testkit'
import { messageIdFor } from './message.js'
import { addressProblem, groupByDomain, OWNER_PLACEHOLDER, planRecipients } from './recipients.js'

function owned(owners: string[], n: number): DeliveryItem {
  const item = fixtureItem('aqua-input.json', { n })
  return { ...item, scan: { ...item.scan, owners } }
}

describe('email recipients', () => {
  const cases: readonly [string, string | undefined][] = [
    ['ops@example.com', undefined],
    ['first.last+tag@sub.example.co.uk', undefined],
    ['root@localhost', undefined],
    ['jörg@bücher.example', undefined],
    ['', 'is empty'],
    ['team-a', 'has no @domain'],
    ['@example.com', 'has nothing before the @'],
    ['a@', 'has no domain after the @'],
    ['a..b@example.com', 'has a character that is not allowed before the @ (or a misplaced dot)'],
    ['"quoted"@example.com', 'has a character that is not allowed before the @ (or a misplaced dot)'],
    ['a@exa_mple.com', 'has "exa_mple.com" after the @, which is not a host name'],
    ['a@[127.0.0.1]', 'has "[127.0.0.1]" after the @, which is not a host name'],
    ['a@-bad.com', 'has "-bad.com" after the @, which is not a host name'],
    ['a b@example.com', 'contains white space or a control character'],
    ['a@example.com\r\nBcc: x@evil.test', 'contains white space or a control character'],
    ['a@example.com\u2028', 'contains white space or a control character'],
    [`${'x'.repeat(65)}@example.com`, 'has a part before the @ longer than 64 bytes'],
    [`a@${'x'.repeat(250)}.com`, 'is longer than 254 characters'],
  ]
  for (const [address, problem] of cases) {
    it(`${JSON.stringify(address).slice(0, 40)} → ${problem ?? 'ok'}`, () => {
      expect(addressProblem(address)).to.equal(problem)
    })
  }

  it('expands the owner placeholder where it stands, once per address without regard to case', () => {
    const plan = planRecipients(
      ['first@example.com', OWNER_PLACEHOLDER, 'last@example.com', 'FIRST@example.com'],
      [owned(['b@example.com', ' a@example.com '], 1), owned(['A@EXAMPLE.COM', 'nope', 'last@example.com'], 2)],
    )
    expect(plan.addresses).to.deep.equal(['first@example.com', 'b@example.com', 'a@example.com', 'last@example.com'])
    expect(plan.dropped).to.deep.equal([{ address: 'nope', reason: 'has no @domain' }])
  })

  it('groups addresses by lower-cased domain, keeping their order', () => {
    expect([...groupByDomain(['a@X.test', 'b@y.test', 'c@x.test.'])]).to.deep.equal([
      ['x.test', ['a@X.test', 'c@x.test.']],
      ['y.test', ['b@y.test']],
    ])
  })

  it('derives the Message-ID from the batch key and the sender domain', () => {
    expect(messageIdFor('6d1f6bb2-5f3e', 'Postee@Corp.Example')).to.equal('<postee-6d1f6bb2-5f3e@corp.example>')
    expect(messageIdFor('key with <odd> chars', 'apikey')).to.equal('<postee-key-with--odd--chars@postee.local>')
    expect(messageIdFor('k', undefined)).to.equal('<postee-k@postee.local>')
  })
})
