import { expect } from 'chai'
import { slackError, type Json } from './slack-fake.testkit.js'

describe('slack fake: checks Block Kit as Slack does', () => {
  const section = (text: string): Json => ({ type: 'section', text: { type: 'mrkdwn', text } })
  const message = (blocks: unknown[], text = 'fallback'): string => JSON.stringify({ text, blocks })
  const cases: [string, string, string | undefined][] = [
    [
      'a valid message',
      message([{ type: 'header', text: { type: 'plain_text', text: 'h' } }, { type: 'divider' }, section('x')]),
      undefined,
    ],
    ['not JSON', '{"text": ', 'invalid_payload'],
    ['no text fallback', JSON.stringify({ blocks: [section('x')] }), 'missing_text_or_fallback_or_attachments'],
    ['51 blocks', message(Array.from({ length: 51 }, () => ({ type: 'divider' }))), 'invalid_blocks'],
    ['section text of 3,001 characters', message([section('x'.repeat(3001))]), 'invalid_blocks'],
    ['section text of 3,000 characters', message([section('x'.repeat(3000))]), undefined],
    [
      '11 fields',
      message([{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) }]),
      'invalid_blocks',
    ],
    ['a field of 2,001 characters', message([{ type: 'section', fields: [{ type: 'mrkdwn', text: 'f'.repeat(2001) }] }]), 'invalid_blocks'],
    ['a header of 151 characters', message([{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }]), 'invalid_blocks'],
    ['a mrkdwn header', message([{ type: 'header', text: { type: 'mrkdwn', text: 'h' } }]), 'invalid_blocks'],
    ['an unknown block type', message([{ type: 'table' }]), 'invalid_blocks'],
    ['an unknown text type', message([{ type: 'section', text: { type: 'markdown', text: 'x' } }]), 'invalid_blocks'],
    ['an empty section', message([{ type: 'section' }]), 'invalid_blocks'],
    ['too much text over all blocks', message(Array.from({ length: 5 }, () => section('x'.repeat(3000)))), 'msg_blocks_too_long'],
  ]
  for (const [name, body, expected] of cases) {
    it(`${name} → ${expected ?? 'posted'}`, () => expect(slackError(body)).to.equal(expected))
  }
})
