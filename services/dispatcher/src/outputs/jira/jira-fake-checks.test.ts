import { expect } from 'chai'
import { checkCreate, type CreateContext, type Json } from './jira-fake-checks.testkit.js'

describe('jira fake: the create checks are as strict as Jira', () => {
  const ctx: CreateContext = {
    apiVersion: 3,
    cloud: true,
    projectKey: 'VUL',
    issueTypes: [{ id: '1', name: 'Task' }],
    priorities: ['High'],
    fields: [{ id: 'customfield_1', name: 'Points', schema: { type: 'number', custom: 'x:float' } }],
    screen: new Set(['customfield_1']),
    users: [],
    openSprints: new Set(),
  }
  const doc = { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'x' }] }] }
  const base = { project: { key: 'VUL' }, issuetype: { name: 'Task' }, summary: 's', description: doc }

  it('accepts a minimal valid issue', () => {
    expect(checkCreate(base, ctx)).to.deep.equal({})
  })

  it('refuses what Jira refuses', () => {
    const cases: [Json, string][] = [
      [{ ...base, project: undefined }, 'project'],
      [{ ...base, issuetype: { name: 'Epic' } }, 'issuetype'],
      [{ ...base, summary: 'x'.repeat(256) }, 'summary'],
      [{ ...base, summary: 'a\nb' }, 'summary'],
      [{ ...base, description: 'wiki text on v3' }, 'description'],
      [
        { ...base, description: { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: '' }] }] } },
        'description',
      ],
      [{ ...base, priority: { name: 'Urgent' } }, 'priority'],
      [{ ...base, labels: ['has space'] }, 'labels'],
      [{ ...base, assignee: { name: 'jdoe' } }, 'assignee'],
      [{ ...base, customfield_1: '3' }, 'customfield_1'],
      [{ ...base, customfield_9: 'x' }, 'customfield_9'],
    ]
    for (const [fields, key] of cases) expect(checkCreate(fields, ctx), key).to.have.property(key)
  })

  it('holds a v2 description to 32,767 characters', () => {
    const v2 = { ...ctx, apiVersion: 2 as const }
    expect(checkCreate({ ...base, description: 'x'.repeat(32_767) }, v2)).to.deep.equal({})
    expect(checkCreate({ ...base, description: 'x'.repeat(32_768) }, v2)).to.have.property('description')
  })
})
