import { expect } from 'chai'
import { classifyHttpStatus, classifyNetworkError, parseRetryAfter } from './classify.js'

describe('classifyHttpStatus', () => {
  const cases: [
    status: number,
    retryAfter: string | undefined,
    expected: { reason: string; retryable: boolean; retryAfterMs?: number } | undefined,
  ][] = [
    [200, undefined, undefined],
    [201, undefined, undefined],
    [204, undefined, undefined],
    [400, undefined, { reason: 'client-error', retryable: false }],
    [401, undefined, { reason: 'auth', retryable: false }],
    [403, undefined, { reason: 'auth', retryable: false }],
    [404, undefined, { reason: 'client-error', retryable: false }],
    [408, undefined, { reason: 'timeout', retryable: true }],
    [413, undefined, { reason: 'payload-too-large', retryable: false }],
    [425, undefined, { reason: 'timeout', retryable: true }],
    [429, '3', { reason: 'rate-limited', retryable: true, retryAfterMs: 3_000 }],
    [429, undefined, { reason: 'rate-limited', retryable: true }],
    [500, undefined, { reason: 'server-error', retryable: true }],
    [503, '10', { reason: 'server-error', retryable: true, retryAfterMs: 10_000 }],
    [302, undefined, { reason: 'client-error', retryable: false }],
  ]
  for (const [status, retryAfter, expected] of cases) {
    it(`${status}${retryAfter ? ` with Retry-After ${retryAfter}` : ''} → ${expected ? `${expected.reason}, ${expected.retryable ? 'retryable' : 'permanent'}` : 'success'}`, () => {
      const error = classifyHttpStatus(status, retryAfter, 'body text')
      if (!expected) return expect(error).to.equal(undefined)
      expect(error).to.include({ reason: expected.reason, retryable: expected.retryable, retryAfterMs: expected.retryAfterMs })
      expect(error?.message).to.equal(`HTTP ${status}: body text`)
    })
  }

  it('keeps at most 500 characters of the target answer', () => {
    expect(classifyHttpStatus(400, undefined, 'x'.repeat(2_000))?.message.length).to.be.lessThan(520)
  })
})

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-26T12:00:00Z')
  const cases: [string | undefined, number | undefined][] = [
    [undefined, undefined],
    ['', undefined],
    ['0', 0],
    ['120', 120_000],
    ['1.5', 1_500],
    ['Thu, 26 Nov 2026 12:00:30 GMT', 30_000],
    ['Thu, 26 Nov 2026 11:00:00 GMT', 0],
    ['soon', undefined],
  ]
  for (const [header, expected] of cases) {
    it(`${JSON.stringify(header)} → ${expected}`, () => expect(parseRetryAfter(header, now)).to.equal(expected))
  }
})

describe('classifyNetworkError', () => {
  it('calls an aborted attempt a timeout and anything else a network error, both retryable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' })
    expect(classifyNetworkError(refused, false)).to.include({ reason: 'network', retryable: true })
    expect(classifyNetworkError(refused, false).message).to.match(/ECONNREFUSED/)
    expect(classifyNetworkError(new Error('aborted'), true)).to.include({ reason: 'timeout', retryable: true })
  })
})
