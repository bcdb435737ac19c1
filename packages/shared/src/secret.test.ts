import { inspect } from 'node:util'
import { expect } from 'chai'
import { Secret, redactSecrets } from './secret.js'

describe('Secret', () => {
  it('prints <secret> however it is printed', () => {
    const secret = new Secret('hunter2-value')
    // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- the point: a Secret in a template prints <secret>
    for (const printed of [String(secret), `${secret}`, JSON.stringify({ secret }), inspect({ secret })]) {
      expect(printed).to.not.include('hunter2-value')
      expect(printed).to.include('<secret>')
    }
    expect(secret.reveal()).to.equal('hunter2-value')
  })
})

describe('redactSecrets', () => {
  const hook = new Secret('https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX?token=abcdefgh1234')
  const cases: [string, string, string][] = [
    ['the whole URL', 'POST https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX?token=abcdefgh1234 failed', 'POST <secret> failed'],
    ['the path and query without the host', 'no route /services/T000/B000/XXXXXXXXXXXXXXXX?token=abcdefgh1234', 'no route <secret>'],
    ['the key segment alone', 'invalid key XXXXXXXXXXXXXXXX', 'invalid key <secret>'],
    ['a query value alone', 'token abcdefgh1234 revoked', 'token <secret> revoked'],
    [
      'the URL percent-encoded',
      `see ${encodeURIComponent('https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX?token=abcdefgh1234')}`,
      'see <secret>',
    ],
    ['nothing secret', 'HTTP 500: hooks.slack.com is down', 'HTTP 500: hooks.slack.com is down'],
  ]
  for (const [title, text, expected] of cases) {
    it(`removes ${title}`, () => expect(redactSecrets(text, [hook, undefined, new Secret('')])).to.equal(expected))
  }

  it('removes a plain secret everywhere it appears', () => {
    expect(redactSecrets('pw=p4ss p4ss', [new Secret('p4ss')])).to.equal('pw=<secret> <secret>')
  })
})
