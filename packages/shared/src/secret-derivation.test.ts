import { expect } from 'chai'
import fc from 'fast-check'
import { derivedForms, leakedRuns } from '@postee/testkit'
import { Secret, redactSecrets } from './secret.js'

// Secrets as operators have them: API tokens, passwords with punctuation, some non-ASCII.
const secretText = fc
  .string({ unit: fc.constantFrom(...'abcdefXYZ0123456789-_.~!$&+/=:@ %éß'.split('')), minLength: 8, maxLength: 48 })
  .filter((s) => s.trim() === s && /[a-z0-9]/i.test(s))
const userText = fc.string({ unit: fc.constantFrom(...'abcxyz.@0'.split('')), minLength: 0, maxLength: 24 })
const around = fc.string({ unit: fc.constantFrom(...'HTTP 401: rejected <>"{}\n'.split('')), maxLength: 30 })

describe('redactSecrets: every derived form (property)', () => {
  it('no form of a generated secret survives, wherever it sits in the text', () => {
    fc.assert(
      fc.property(secretText, userText, around, around, (secret, user, before, after) => {
        for (const form of derivedForms(secret, user)) {
          const redacted = redactSecrets(`${before}${form.text}${after}`, [new Secret(secret)])
          expect(redacted.includes(form.text), `${form.name} survived: ${JSON.stringify(redacted)}`).to.equal(false)
          expect(leakedRuns(redacted, secret), `${form.name}: a run of the secret survived`).to.deep.equal([])
        }
      }),
      { numRuns: 300 },
    )
  })

  it('any substring of 8 or more characters (a token prefix, a cut error line) is removed, with the rest of its run', () => {
    fc.assert(
      fc.property(secretText, fc.nat(), fc.nat(), around, (secret, a, b, before) => {
        const start = a % (secret.length - 7)
        const end = start + 8 + (b % (secret.length - start - 7))
        const redacted = redactSecrets(`${before}${secret.slice(start, end)}…`, [new Secret(secret)])
        expect(redacted.endsWith('<secret>…'), redacted).to.equal(true)
        expect(leakedRuns(redacted, secret)).to.deep.equal([])
      }),
      // Found by this property: "0aaaaaaa" matched the URL-encoded form ("%20aaaaaaa") first and
      // hid the run "aaaaaaaé" of the secret itself.
      { numRuns: 300, examples: [['a aaaaaaaé', 8, 0, '0']] },
    )
  })

  it('leaves text that shares no 8-character run with the secret alone', () => {
    const table: [string, string, string][] = [
      ['a host next to a webhook key', 'https://hooks.example.com/services/T0/B0/k3yk3yk3yk3y', 'HTTP 500: hooks.example.com is down'],
      ['a short secret elsewhere', 'p4ss', 'HTTP 500: server error'],
      ['7 characters of an 8+ secret', 'Sup3rS3cretValue', 'value Sup3rS3 only'],
    ]
    for (const [, secret, text] of table) expect(redactSecrets(text, [new Secret(secret)])).to.equal(text)
  })

  it('a short secret is removed in every form too, though not by fragment', () => {
    for (const form of derivedForms('pw-1', 'u')) {
      const redacted = redactSecrets(`x ${form.text} y`, [new Secret('pw-1')])
      expect(redacted, form.name).to.include('<secret>').and.not.include(form.text)
    }
  })
})
