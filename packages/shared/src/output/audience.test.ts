import { expect } from 'chai'
import { parseConfig } from '../config/load.js'
import type { Integration } from '../config/types.js'
import { audienceKey, selectOwners } from './audience.js'

function integration(item: string): Integration {
  return parseConfig(`- name: x\n  enable: true\n  ${item.split('\n').join('\n  ')}\n`, {}).integrations[0]!
}

const OWNERS_MAIL = integration('type: email\nhost: h\nrecipients: [ops@corp.example, "<%application_scope_owner%>"]')
const FIXED_MAIL = integration('type: email\nhost: h\nrecipients: [ops@corp.example]')
const OWNER_JIRA = integration('type: jira\nurl: https://j.example.com\ntoken: t\nproject_key: K\nassignee: <%application_scope_owner%>')
const FIXED_JIRA = integration('type: jira\nurl: https://j.example.com\ntoken: t\nproject_key: K\nassignee: bob')
const SLACK = integration('type: slack\nurl: https://hooks.example.com/x')

describe('output/audience: who an aggregated message may go to', () => {
  const same: [string, Integration, string[], string[]][] = [
    ['owner order and case do not matter', OWNERS_MAIL, ['a@corp.example', 'B@corp.example'], ['b@CORP.example', ' a@corp.example ']],
    ['a repeated owner is one owner', OWNERS_MAIL, ['a@corp.example', 'a@corp.example'], ['a@corp.example']],
    ['fixed recipients: every scan is one audience', FIXED_MAIL, ['a@corp.example'], ['evil@evil.example']],
    ['Jira: the first owner decides', OWNER_JIRA, ['a@corp.example', 'x@corp.example'], ['a@corp.example', 'y@corp.example']],
    ['Jira with a fixed assignee', FIXED_JIRA, ['a@corp.example'], ['b@corp.example']],
    ['a chat webhook', SLACK, ['a@corp.example'], ['b@corp.example']],
  ]
  for (const [name, output, a, b] of same) {
    it(`same audience: ${name}`, () => {
      expect(audienceKey(output, { owners: a })).to.equal(audienceKey(output, { owners: b }))
    })
  }

  const different: [string, Integration, string[], string[]][] = [
    ['another owner', OWNERS_MAIL, ['alice@corp.example'], ['attacker@evil.example']],
    ['one more owner', OWNERS_MAIL, ['alice@corp.example'], ['alice@corp.example', 'attacker@evil.example']],
    ['no owners against some', OWNERS_MAIL, [], ['alice@corp.example']],
    ['Jira: another first owner', OWNER_JIRA, ['alice@corp.example'], ['attacker@evil.example']],
  ]
  for (const [name, output, a, b] of different) {
    it(`different audience: ${name}`, () => {
      expect(audienceKey(output, { owners: a })).to.not.equal(audienceKey(output, { owners: b }))
    })
  }

  it('is empty for fixed audiences and safe in a job id (no colon, no address) otherwise', () => {
    expect(audienceKey(FIXED_MAIL, { owners: ['a@corp.example'] })).to.equal('')
    const key = audienceKey(OWNERS_MAIL, { owners: ['alice@corp.example'] })
    expect(key).to.match(/^email-[0-9a-f]{32}$/)
  })

  it('the audience is the owners the message would go to: those over owners_max or outside owners_domains do not split it', () => {
    const fenced = integration(
      'type: email\nhost: h\nrecipients: ["<%application_scope_owner%>"]\nowners_max: 1\nowners_domains: [corp.example]',
    )
    expect(audienceKey(fenced, { owners: ['a@corp.example', 'b@corp.example'] })).to.equal(
      audienceKey(fenced, { owners: ['evil@evil.example', 'a@corp.example'] }),
    )
  })

  const selections: [string, string[], { ownersMax: number; ownersDomains: string[] | undefined }, string[], string[]][] = [
    [
      'keeps order, trims, drops repeats',
      [' a@x.example', 'b@x.example', 'A@x.example', ''],
      { ownersMax: 20, ownersDomains: undefined },
      ['a@x.example', 'b@x.example'],
      [],
    ],
    [
      'caps at owners_max',
      ['a@x.example', 'b@x.example', 'c@x.example'],
      { ownersMax: 1, ownersDomains: undefined },
      ['a@x.example'],
      ['"2 more owners" over owners_max (1 per scan)'],
    ],
    [
      'owners_max 0 takes none',
      ['a@x.example'],
      { ownersMax: 0, ownersDomains: undefined },
      [],
      ['"1 more owner" over owners_max (0 per scan)'],
    ],
    [
      'owners_domains: exact domain, without case; fenced-out owners do not use up owners_max',
      ['e@evil.example', 'a@X.Example', 's@sub.x.example', 'n', 'b@x.example.'],
      { ownersMax: 2, ownersDomains: ['x.example'] },
      ['a@X.Example', 'b@x.example.'],
      ['"e@evil.example" is not in owners_domains', '"s@sub.x.example" is not in owners_domains', '"n" is not in owners_domains'],
    ],
  ]
  for (const [name, owners, fence, used, dropped] of selections) {
    it(`selectOwners ${name}`, () => {
      const selection = selectOwners(owners, fence)
      expect(selection.used).to.deep.equal(used)
      expect(selection.dropped.map((d) => `${JSON.stringify(d.address)} ${d.reason}`)).to.deep.equal(dropped)
    })
  }
})
