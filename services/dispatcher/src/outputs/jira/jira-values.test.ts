import { expect } from 'chai'
import { jiraErrorDetail } from './jira-client.js'
import { jqlString } from './jira-idempotency.js'
import { closestName } from './jira-unknowns.js'
import { ValueProblem, typedValue } from './jira-values.js'

const server = { apiVersion: 2, cloud: false } as const
const cloud = { apiVersion: 3, cloud: true } as const
const noSchema = { schema: undefined, allowedValues: undefined }

describe('jira values: typing unknowns', () => {
  const cases: [string, unknown, unknown][] = [
    ['date as given', typedValue('2026-12-24', { schema: { type: 'date' }, allowedValues: undefined }, 'text', server), '2026-12-24'],
    [
      'date from a datetime',
      typedValue('2026-12-24T22:00:00Z', { schema: { type: 'date' }, allowedValues: undefined }, 'text', server),
      '2026-12-24',
    ],
    [
      'datetime in UTC',
      typedValue('2026-12-01T09:30:00+01:00', { schema: { type: 'datetime' }, allowedValues: undefined }, 'text', server),
      '2026-12-01T08:30:00.000+0000',
    ],
    [
      'option matched ignoring case',
      typedValue('s1', { schema: { type: 'option' }, allowedValues: [{ value: 'S1' }] }, 'text', server),
      { value: 'S1' },
    ],
    [
      'components by name',
      typedValue('api, web', { schema: { type: 'array', items: 'component' }, allowedValues: undefined }, 'text', server),
      [{ name: 'api' }, { name: 'web' }],
    ],
    ['hint number', typedValue(' 7 ', noSchema, 'number', server), 7],
    ['hint multi-line on v2', typedValue('a\nb', noSchema, 'multi-line-text', server), 'a\nb'],
    [
      'single-line text on v3 stays a string',
      typedValue('x', { schema: { type: 'string', custom: 'c:textfield' }, allowedValues: undefined }, 'text', cloud),
      'x',
    ],
  ]
  for (const [name, actual, expected] of cases) it(name, () => expect(actual).to.deep.equal(expected))

  it('refuses values that cannot fit', () => {
    const problems: (() => unknown)[] = [
      () => typedValue('2026-02-31', { schema: { type: 'date' }, allowedValues: undefined }, 'text', server),
      () => typedValue('soon', { schema: { type: 'datetime' }, allowedValues: undefined }, 'text', server),
      () => typedValue('', noSchema, 'number', server),
      () => typedValue('jdoe', { schema: { type: 'user' }, allowedValues: undefined }, 'text', cloud),
    ]
    for (const problem of problems) expect(problem).to.throw(ValueProblem)
  })
})

describe('jira helpers', () => {
  it("turns Jira's error body into `field: message` text, and keeps other bodies", () => {
    expect(jiraErrorDetail('{"errorMessages":["No project"],"errors":{"priority":"bad","labels":"spaces"}}')).to.equal(
      'No project; priority: bad; labels: spaces',
    )
    expect(jiraErrorDetail('<html>proxy</html>')).to.equal('<html>proxy</html>')
    expect(jiraErrorDetail('{"errorMessages":[],"errors":{}}')).to.equal('{"errorMessages":[],"errors":{}}')
  })

  it('quotes JQL strings', () => {
    expect(jqlString('VUL')).to.equal('"VUL"')
    expect(jqlString('a"b\\c')).to.equal('"a\\"b\\\\c"')
  })

  it('suggests a close field name, and nothing for a far one', () => {
    expect(closestName('Story Pionts', ['Team', 'Story Points'])).to.equal('Story Points')
    expect(closestName('Completely different', ['Team', 'Story Points'])).to.equal(undefined)
  })
})
