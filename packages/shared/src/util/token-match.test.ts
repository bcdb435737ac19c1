import { expect } from 'chai'
import { Secret } from '../secret.js'
import { adminAccess, presentedToken, tokenMatchesAny } from './token-match.js'

const secrets = (...values: string[]) => values.map((value) => new Secret(value))

describe('util/token-match', () => {
  const matches: [string, string[], boolean][] = [
    ['the only token', ['a-token'], true],
    ['the second of two (a rotation)', ['old', 'a-token'], true],
    ['a prefix of a token', ['a-token-longer'], false],
    ['no token configured', [], false],
    ['a differently cased token', ['A-TOKEN'], false],
  ]
  for (const [title, configured, expected] of matches) {
    it(`"a-token" against ${title} → ${expected}`, () => expect(tokenMatchesAny('a-token', secrets(...configured))).to.equal(expected))
  }

  const forms: [string, Parameters<typeof presentedToken>[0], string | undefined][] = [
    ['Bearer', { authorization: 'Bearer  t1 ' }, 't1'],
    ['bearer in lower case', { authorization: 'bearer t1' }, 't1'],
    ['X-Postee-Token', { header: 't2' }, 't2'],
    ['?token=', { query: 't3' }, 't3'],
    ['Bearer wins over the others', { authorization: 'Bearer t1', header: 't2', query: 't3' }, 't1'],
    ['Basic is no token', { authorization: 'Basic dTpw' }, undefined],
    ['a repeated ?token= (an array) is no token', { query: ['a', 'b'] }, undefined],
    ['nothing', {}, undefined],
  ]
  for (const [title, carriers, expected] of forms) {
    it(`reads ${title}`, () => expect(presentedToken(carriers)).to.equal(expected))
  }

  const tokens = { admin: secrets('adm-old', 'adm-new'), ingest: secrets('ing') }
  const decisions: [string, string | undefined, typeof tokens, number | 'allowed', RegExp?][] = [
    ['an admin token', 'adm-new', tokens, 'allowed'],
    ['the older admin token during a rotation', 'adm-old', tokens, 'allowed'],
    ['an ingest token', 'ing', tokens, 403, /ingest token.*only post scans.*admin token/],
    ['no token', undefined, tokens, 401, /admin token is required.*Bearer.*X-Postee-Token/],
    ['a wrong token', 'nope', tokens, 401, /not a valid admin token/],
    [
      'any token when no admin token is configured (closed, not open)',
      'ing',
      { admin: [], ingest: secrets('ing') },
      403,
      /closed.*POSTEE_ADMIN_TOKEN.*Admin-Token/,
    ],
    ['no token when nothing is configured', undefined, { admin: [], ingest: [] }, 403, /closed/],
  ]
  for (const [title, presented, configured, expected, message] of decisions) {
    it(`admin route with ${title} → ${expected}`, () => {
      const access = adminAccess(presented, configured)
      if (expected === 'allowed') return void expect(access).to.deep.equal({ allowed: true })
      expect(access).to.include({ allowed: false, status: expected })
      if (!access.allowed) {
        expect(access.error).to.match(message!)
        expect(access.error).to.not.include('adm-new')
      }
    })
  }
})
