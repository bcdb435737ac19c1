import { expect } from 'chai'
import { ADAPTIVE, workflowsProblem, connectorProblem, type Json } from './teams-fake.testkit.js'

describe('teams fakes: check bodies as Teams does', () => {
  const card = (body: unknown[], version = '1.5'): Json => ({ type: 'AdaptiveCard', version, body })
  const message = (content: Json, extra: Json = { contentUrl: null }): string =>
    JSON.stringify({ type: 'message', attachments: [{ contentType: ADAPTIVE, ...extra, content }] })
  const text = { type: 'TextBlock', text: 'x' }
  const table = { type: 'Table', columns: [{ width: 1 }], rows: [{ type: 'TableRow', cells: [{ type: 'TableCell', items: [text] }] }] }
  const workflows: [string, string, boolean][] = [
    ['a valid card', message(card([text, table])), true],
    ['not JSON', '{', false],
    ['no contentUrl', message(card([text]), {}), false],
    ['a MessageCard', JSON.stringify({ '@type': 'MessageCard', summary: 's' }), false],
    ['a Table in a 1.4 card', message(card([table], '1.4')), false],
    ['an empty TextBlock', message(card([{ type: 'TextBlock', text: '' }])), false],
  ]
  for (const [name, body, ok] of workflows) it(`workflows: ${name}`, () => expect(workflowsProblem(body) === undefined).to.equal(ok))
  const legacy: [string, unknown, boolean][] = [
    [
      'a valid card',
      { '@type': 'MessageCard', '@context': 'https://schema.org/extensions', summary: 's', sections: [{ markdown: true, text: 't' }] },
      true,
    ],
    ['no @type', { '@context': 'https://schema.org/extensions', summary: 's' }, false],
    ['no summary nor text', { '@type': 'MessageCard', '@context': 'https://schema.org/extensions', sections: [] }, false],
    ['an Adaptive Card message', { type: 'message', attachments: [] }, false],
  ]
  for (const [name, body, ok] of legacy)
    it(`connector: ${name}`, () => expect(connectorProblem(JSON.stringify(body)) === undefined).to.equal(ok))
})
