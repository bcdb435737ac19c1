import { expect } from 'chai'
import { DeliveryError } from '@postee/shared'
import { backoffDelay } from './backoff.js'
import { planFailure } from './to-bull-error.js'

describe('backoffDelay', () => {
  const cases: [attempt: number, random: number, expected: number][] = [
    [1, 0, 500],
    [1, 1, 1_000],
    [2, 0, 1_000],
    [3, 1, 4_000],
    [10, 0.5, 7_500], // capped at 10 s before jitter
    [50, 1, 10_000],
  ]
  for (const [attempt, random, expected] of cases) {
    it(`attempt ${attempt} with jitter ${random} waits ${expected} ms (base 1 s, cap 10 s)`, () => {
      expect(backoffDelay(attempt, 1_000, 10_000, () => random)).to.equal(expected)
    })
  }
})

describe('planFailure: the one place failures become queue behaviour', () => {
  const state = { attempts: 2, maxAttempts: 3, backoffMs: (attempt: number) => attempt * 1_000 }
  const cases: [string, DeliveryError, typeof state, unknown][] = [
    ['a 5xx with attempts left backs off', new DeliveryError('HTTP 500', 'server-error', true), state, { kind: 'retry', delayMs: 2_000 }],
    [
      'a 5xx with Retry-After waits at least that long',
      new DeliveryError('HTTP 503', 'server-error', true, 30_000),
      state,
      { kind: 'retry', delayMs: 30_000 },
    ],
    ['a 5xx on the last attempt is dead', new DeliveryError('HTTP 500', 'server-error', true), { ...state, attempts: 3 }, { kind: 'dead' }],
    ['a 4xx is failed at once', new DeliveryError('HTTP 400', 'client-error', false), { ...state, attempts: 1 }, { kind: 'failed' }],
    [
      'a 429 with Retry-After pauses the output without spending an attempt',
      new DeliveryError('HTTP 429', 'rate-limited', true, 7_000),
      { ...state, attempts: 3 },
      { kind: 'pause-output', pauseMs: 7_000 },
    ],
    [
      'a 429 without Retry-After backs off like any retryable error',
      new DeliveryError('HTTP 429', 'rate-limited', true),
      state,
      { kind: 'retry', delayMs: 2_000 },
    ],
    ['a timeout backs off', new DeliveryError('timed out', 'timeout', true), state, { kind: 'retry', delayMs: 2_000 }],
  ]
  for (const [title, error, retryState, expected] of cases) {
    it(title, () => expect(planFailure(error, retryState)).to.deep.equal(expected))
  }
})
