import { expect } from 'chai'
import { ConfigError } from './config-error.js'
import { parseConfig } from './load.js'
import type { ConfigProblem } from './types.js'

function problemsOf(yaml: string, env: NodeJS.ProcessEnv = {}): readonly ConfigProblem[] {
  try {
    parseConfig(yaml, env)
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError)
    return (error as ConfigError).problems
  }
  throw new Error('expected a ConfigError')
}

// An item named x of the given body, after a valid item, so positions are checked too.
function item(body: string): string {
  const enable = /^enable:/im.test(body) ? '' : 'enable: true\n  '
  return `- name: ok\n  type: webhook\n  enable: true\n  url: http://localhost\n- name: x\n  ${enable}${body.replaceAll('\n', '\n  ')}\n`
}

const SLACK = 'type: slack\nurl: http://localhost'
const JIRA = 'type: jira\nurl: https://j.example.com\ntoken: t\nproject_key: K'

describe('config/load: every kind of problem names its item and key', () => {
  const cases: [string, string, string, string, RegExp][] = [
    [
      'unknown type, near a valid one',
      item('type: jiraa'),
      'x',
      'type',
      /"jiraa" is not a known type; did you mean jira\? valid types: jira, email, slack, teams, webhook, splunk, serviceNow, common/,
    ],
    ['unknown type, near none', item('type: pagerduty'), 'x', 'type', /is not a known type; valid types: jira/],
    ['missing type', item('url: http://x'), 'x', 'type', /missing; set the integration type/],
    [
      'misspelt key',
      item(`${SLACK}\nPolicy-Min-Vulnerabilty: high`),
      'x',
      'Policy-Min-Vulnerabilty',
      /unknown key for a slack item; did you mean Policy-Min-Vulnerability\?/,
    ],
    [
      'unknown key far from all',
      item(`${SLACK}\ncolour: blue`),
      'x',
      'colour',
      /unknown key for a slack item; the keys it accepts are: name, type, enable/,
    ],
    ['key of another type', item(`${SLACK}\nrecipients: a@b.c`), 'x', 'recipients', /unknown key for a slack item/],
    ['list where a value belongs', item(`${SLACK}\nconcurrency: [1, 2]`), 'x', 'concurrency', /must be a single value, not a list/],
    ['mapping where a value belongs', item(`${SLACK}\nbackoff: {a: 1}`), 'x', 'backoff', /must be a single value, not a mapping/],
    ['not a boolean', item(`${SLACK}\nenable: maybe`), 'x', 'enable', /"maybe" is not a boolean; write true or false/],
    ['not a boolean (policy)', item(`${SLACK}\nPolicy-Show-All: 1`), 'x', 'Policy-Show-All', /is not a boolean/],
    ['not a whole number', item(`${SLACK}\nconcurrency: abc`), 'x', 'concurrency', /"abc" is not a whole number ≥ 1/],
    ['below the minimum', item(`${SLACK}\nretries: 0`), 'x', 'retries', /is not a whole number ≥ 1/],
    ['a fraction', item(`${SLACK}\nretries: 1.5`), 'x', 'retries', /is not a whole number/],
    [
      'port out of range',
      item('type: email\nhost: h\nrecipients: a@b.c\nport: 70000'),
      'x',
      'port',
      /is not a whole number from 1 to 65535/,
    ],
    ['count below 1', item(`${SLACK}\nAggregate-Issues-Number: 0`), 'x', 'Aggregate-Issues-Number', /whole number ≥ 1/],
    [
      'bad duration',
      item(`${SLACK}\nAggregate-Issues-Timeout: 5 minutes`),
      'x',
      'Aggregate-Issues-Timeout',
      /"5 minutes" is not a duration; write a number with a unit/,
    ],
    ['bad backoff', item(`${SLACK}\nbackoff: fast`), 'x', 'backoff', /is not a duration/],
    ['zero timeout', item(`${SLACK}\ntimeout: 0s`), 'x', 'timeout', /must be longer than 0/],
    ['backoff-max below backoff', item(`${SLACK}\nbackoff: 1m\nbackoff-max: 10s`), 'x', 'backoff-max', /shorter than backoff/],
    [
      'bad severity',
      item(`${SLACK}\nPolicy-Min-Vulnerability: severe`),
      'x',
      'Policy-Min-Vulnerability',
      /"severe" is not allowed; write one of: critical, high, medium, low, negligible/,
    ],
    ['bad rate limit', item(`${SLACK}\nrate-limit: 5 per second`), 'x', 'rate-limit', /is not a rate limit; write N\/s, N\/m or N\/h/],
    ['bad teams format', item('type: teams\nurl: http://t\nformat: card'), 'x', 'format', /write one of: adaptive, legacy/],
    ['bad api_version', item(`${JIRA}\napi_version: 4`), 'x', 'api_version', /from 2 to 3/],
    ['jira url not http', item('type: jira\nurl: ftp://j\ntoken: t\nproject_key: K'), 'x', 'url', /"ftp:\/\/j" is not an http\(s\) URL/],
    ['splunk url not a URL', item('type: splunk\nurl: splunk:8088\ntoken: t'), 'x', 'url', /is not an http\(s\) URL/],
    [
      'bad servicenow instance',
      item('type: serviceNow\nuser: u\npassword: p\ninstance: acme corp'),
      'x',
      'instance',
      /neither an instance name nor an http\(s\) URL/,
    ],
    [
      'sender not an address',
      item('type: email\nhost: h\nrecipients: a@b.c\nsender: not-an-address'),
      'x',
      'sender',
      /"not-an-address" is not an email address; write name@domain or "Display Name <name@domain>"/,
    ],
    [
      'recipient not an address',
      item('type: email\nhost: h\nrecipients: ops.example.com'),
      'x',
      'recipients',
      /"ops.example.com" is not an email address/,
    ],
    ['empty recipients', item('type: email\nhost: h\nrecipients: []'), 'x', 'recipients', /is empty/],
    [
      'case-variant duplicate key',
      item('type: email\nhost: h\nrecipients: a@b.c\nUseMX: true\nuseMX: false'),
      'x',
      'useMX',
      /given twice \(as UseMX and useMX\)/,
    ],
    ['unknowns not a mapping', item(`${JIRA}\nunknowns: [a]`), 'x', 'unknowns', /must be a mapping/],
    ['unknowns value a list', item(`${JIRA}\nunknowns:\n  Team: [a, b]`), 'x', 'unknowns › Team', /must be a single value, not a list/],
    ['bad size', '- type: common\n  Max_DB_Size: 5 parsecs\n', 'item 1', 'Max_DB_Size', /"5 parsecs" is not a size/],
    ['bad Delete_Old_Data', '- type: common\n  Delete_Old_Data: -1\n', 'item 1', 'Delete_Old_Data', /whole number ≥ 0/],
    ['bad DbVerifyInterval', '- type: common\n  DbVerifyInterval: 0\n', 'item 1', 'DbVerifyInterval', /a number greater than 0/],
    ['bad AquaServer', '- name: c\n  type: common\n  AquaServer: aqua.local\n', 'c', 'AquaServer', /is not an http\(s\) URL/],
    [
      'missing name',
      `${item(SLACK)}- type: slack\n  enable: true\n  url: http://s\n`,
      'item 3',
      'name',
      /missing; give every integration a unique name/,
    ],
    ['duplicate names', `${item(SLACK)}- name: x\n  type: webhook\n  url: http://w\n`, 'x', 'name', /used by more than one integration/],
    [
      'second common item',
      '- type: common\n- name: again\n  type: common\n',
      'again',
      'type',
      /a second type: common item; merge its keys into the first one \(common\)/,
    ],
    ['item not a mapping', '- just text\n', 'item 1', '', /is a single value, but each item must be a mapping of keys/],
    ['item that is a list', '- [a, b]\n', 'item 1', '', /is a list, but each item must be a mapping/],
  ]
  for (const [title, yaml, itemName, key, message] of cases) {
    it(title, () => {
      const problems = problemsOf(yaml)
      const found = problems.find((p) => p.item === itemName && p.key === key)
      expect(found, JSON.stringify(problems)).to.not.equal(undefined)
      expect(found?.message).to.match(message)
    })
  }
})

describe('config/load: missing required keys', () => {
  const cases: [string, string, string][] = [
    ['jira url', 'type: jira\ntoken: t\nproject_key: K', 'url'],
    ['jira project_key', 'type: jira\nurl: http://j\ntoken: t', 'project_key'],
    ['jira credentials', 'type: jira\nurl: http://j\nproject_key: K', 'user'],
    ['jira password with user only', 'type: jira\nurl: http://j\nproject_key: K\nuser: u', 'password'],
    ['jira user with password only', 'type: jira\nurl: http://j\nproject_key: K\npassword: p', 'user'],
    ['email recipients', 'type: email\nhost: h', 'recipients'],
    ['email host without UseMX', 'type: email\nrecipients: a@b.c', 'host'],
    ['slack url', 'type: slack', 'url'],
    ['teams url', 'type: teams', 'url'],
    ['webhook url', 'type: webhook', 'url'],
    ['splunk url', 'type: splunk\ntoken: t', 'url'],
    ['splunk token', 'type: splunk\nurl: http://s', 'token'],
    ['serviceNow user', 'type: serviceNow\npassword: p\ninstance: a', 'user'],
    ['serviceNow password', 'type: serviceNow\nuser: u\ninstance: a', 'password'],
    ['serviceNow instance', 'type: serviceNow\nuser: u\npassword: p', 'instance'],
  ]
  for (const [title, body, key] of cases) {
    it(title, () => {
      const problems = problemsOf(item(body))
      expect(problems.map((p) => `${p.item} › ${p.key}`)).to.deep.equal([`x › ${key}`])
      expect(problems[0]?.message).to.match(/^missing/)
    })
  }

  it('accepts jira with token alone, or user and password alone', () => {
    expect(() => parseConfig(item('type: jira\nurl: http://j\nproject_key: K\ntoken: t'), {})).to.not.throw()
    expect(() => parseConfig(item('type: jira\nurl: http://j\nproject_key: K\nuser: u\npassword: p'), {})).to.not.throw()
  })
})

describe('config/load: whole-file problems', () => {
  const cases: [string, string, RegExp][] = [
    ['not YAML', '- name: x\n  type: [slack\n', /^YAML error at column \d+: /],
    ['duplicate keys', '- name: x\n  name: y\n', /YAML error at column 3: Map keys must be unique/],
    [
      'a mapping',
      'name: x\ntype: slack\n',
      /the top level is a mapping; cfg.yaml is a YAML list with one `- name: ...` item per integration/,
    ],
    ['Postee v2 format', 'outputs:\n  - name: x\nroutes: []\n', /looks like the Postee v2 format/],
    ['a single value', 'hello\n', /the top level is a single value; cfg.yaml is a YAML list/],
    ['empty', '# only a comment\n', /the file is empty; cfg.yaml is a YAML list/],
  ]
  for (const [title, yaml, message] of cases) {
    it(title, () => {
      const problems = problemsOf(yaml)
      expect(problems).to.have.length(1)
      expect(problems[0]).to.include({ item: 'cfg.yaml', key: '' })
      expect(problems[0]?.message).to.match(message)
    })
  }
})

describe('config/load: every problem is listed at once', () => {
  const yaml = `
- name: a
  type: jiraa
- name: b
  type: slack
  enable: true
  Policy-Min-Vulnerabilty: high
  concurrency: none
- type: email
  enable: true
- name: b
  type: splunk
  enable: true
  url: not a url
  token: $MISSING_TOKEN
`
  it('lists each problem, in file order, one per message line', () => {
    let error: ConfigError | undefined
    try {
      parseConfig(yaml, {})
    } catch (caught) {
      error = caught as ConfigError
    }
    expect(error).to.be.instanceOf(ConfigError)
    const listed = error?.problems.map((p) => `${p.item} › ${p.key}`)
    expect(listed).to.deep.equal([
      'a › type',
      'b › url',
      'b › Policy-Min-Vulnerabilty',
      'b › concurrency',
      'item 3 › name',
      'item 3 › host',
      'item 3 › recipients',
      'b › name',
      'b › url',
      'b › token',
    ])
    expect(error?.problems.map((p) => p.line)).to.deep.equal([3, 4, 7, 8, 9, 9, 9, 11, 14, 15])
    const lines = error?.message.split('\n') ?? []
    expect(lines[0]).to.equal('Invalid config file cfg.yaml (10 problems):')
    expect(lines.slice(1)).to.have.length(10)
    expect(lines[1]).to.match(/^ {2}line 3: a › type: "jiraa" is not a known type; did you mean jira\?/)
  })
})

describe('config/load: problems carry the line they are on, in file order', () => {
  it('keeps checking an item after an unknown type, and the items after it', () => {
    const yaml = [
      '- name: first', //                              1
      '  type: jiraa', //                              2
      '  enable: true', //                             3
      '  Policy-Min-Vulnerability: extreme', //        4
      '  retries: none', //                            5
      '- name: second', //                             6
      '  type: webhook', //                            7
      '  enable: true', //                             8
      '  url: https://example.com/hook', //            9
      '  Policy-Min-Vulnerability: extreme', //        10
      '- name: mail', //                               11
      '  type: email', //                              12
      '  enable: true', //                             13
      '  recipients: [ops@example.com]', //            14
      '  sender: not-an-address', //                   15
      '  host: smtp.example.com', //                   16
      '',
    ].join('\n')
    const problems = problemsOf(yaml)
    expect(problems.map((p) => [p.line, `${p.item} › ${p.key}`])).to.deep.equal([
      [2, 'first › type'],
      [4, 'first › Policy-Min-Vulnerability'],
      [5, 'first › retries'],
      [10, 'second › Policy-Min-Vulnerability'],
      [15, 'mail › sender'],
    ])
  })

  const cases: [string, string, number][] = [
    ['a key of an item', '- name: x\n  type: slack\n  enable: true\n  url: nope\n', 4],
    ['a key written in another case', '- name: x\n  Type: slack\n  enable: true\n  URL: nope\n', 4],
    ["a missing key: the item's first line", '\n\n- name: x\n  type: slack\n  enable: true\n', 3],
    [
      "a nested unknowns entry: its key's line",
      '- name: x\n  type: jira\n  enable: true\n  url: https://j\n  token: t\n  project_key: K\n  unknowns:\n    Team: [a]\n',
      7,
    ],
    ['an item that is not a mapping', '- name: ok\n  type: slack\n- just text\n', 3],
    ['a YAML syntax error', '- name: x\n  type: [slack\n', 3],
  ]
  for (const [title, yaml, line] of cases) {
    it(title, () => {
      const problems = problemsOf(yaml)
      expect(
        problems.map((p) => p.line),
        JSON.stringify(problems),
      ).to.deep.equal([line])
    })
  }

  it('accepts a sender with a display name, or a plain address', () => {
    for (const sender of ['ops@example.com', 'Postee <ops@example.com>', '"Ops, Team" <ops@example.com>']) {
      const config = parseConfig(item(`type: email\nhost: h\nrecipients: a@b.c\nsender: '${sender.replaceAll("'", "''")}'`), {})
      expect(config.integrations[1]).to.deep.include({ sender })
    }
  })
})

describe('config/load: enable: false is validated leniently', () => {
  it('accepts a disabled item with missing keys, bad values and unset variables, with placeholders', () => {
    const config = parseConfig('- type: jira\n  enable: false\n  password: $UNSET\n  colour: blue\n  retries: lots\n', {})
    const [jira] = config.integrations
    expect(jira).to.deep.include({ kind: 'jira', enabled: false, name: 'item 1', url: '', projectKey: '' })
    expect(jira?.delivery.attempts).to.equal(10)
  })

  const reported: [string, string, string][] = [
    ['an unknown type', 'name: x\ntype: jiraa\nenable: false', 'type'],
    ['a missing type', 'name: x\nenable: false', 'type'],
    ['a list where a value belongs', 'name: x\ntype: slack\nenable: false\nurl: [a]', 'url'],
    ['unknowns that is not a mapping', 'name: x\ntype: jira\nenable: false\nunknowns: text', 'unknowns'],
  ]
  for (const [title, body, key] of reported) {
    it(`still reports ${title}`, () => {
      const problems = problemsOf(`- ${body.replaceAll('\n', '\n  ')}\n`)
      expect(problems.map((p) => `${p.item} › ${p.key}`)).to.deep.equal([`x › ${key}`])
    })
  }

  it('treats a missing enable as false, as Postee did, with a notice that says how to start it', () => {
    const config = parseConfig(`- name: x\n  ${SLACK.replaceAll('\n', '\n  ')}\n`, {})
    expect(config.integrations[0]?.enabled).to.equal(false)
    expect(config.notices.join('\n')).to.match(/no `enable` key, so it is off.*add `enable: true`/)
    expect(() => parseConfig('- name: x\n  type: slack\n', {})).to.not.throw()
    expect(problemsOf(item('type: slack')).map((p) => p.key)).to.deep.equal(['url'])
  })
})
