import { expect } from 'chai'
import type { AggregationSettings } from '../config/types.js'
import { batchSize, flushesByCount, isAggregated, isDue, isFull, mustFlushNow, windowEnd, windowKey } from './rules.js'

const MINUTE = 60_000
const BY_COUNT: AggregationSettings = { issuesNumber: 3, timeoutMs: undefined }
const BY_TIME: AggregationSettings = { issuesNumber: undefined, timeoutMs: MINUTE }
const BOTH: AggregationSettings = { issuesNumber: 3, timeoutMs: MINUTE }
const NEITHER: AggregationSettings = { issuesNumber: undefined, timeoutMs: undefined }

const OPENED = new Date('2026-12-01T10:00:00.000Z')
const at = (ms: number) => new Date(OPENED.getTime() + ms)

describe('aggregation/rules: which outputs hold, when a window ends, when it flushes', () => {
  const aggregated: [string, AggregationSettings, boolean][] = [
    ['by count', BY_COUNT, true],
    ['by time', BY_TIME, true],
    ['by count and time', BOTH, true],
    ['neither: delivered at once', NEITHER, false],
  ]
  for (const [name, settings, expected] of aggregated)
    it(`isAggregated ${name}: ${expected}`, () => expect(isAggregated(settings)).to.equal(expected))

  const byCount: [string, AggregationSettings, boolean][] = [
    ['by count', BY_COUNT, true],
    ['by time', BY_TIME, false],
    ['by count and time', BOTH, true],
    ['neither', NEITHER, false],
  ]
  for (const [name, settings, expected] of byCount)
    it(`flushesByCount ${name}: ${expected}`, () => expect(flushesByCount(settings)).to.equal(expected))

  const ends: [string, AggregationSettings, Date | null][] = [
    ['by count: no end', BY_COUNT, null],
    ['by time: opened + Aggregate-Issues-Timeout', BY_TIME, at(MINUTE)],
    ['both: opened + Aggregate-Issues-Timeout', BOTH, at(MINUTE)],
    ['neither: no end', NEITHER, null],
  ]
  for (const [name, settings, expected] of ends) it(`windowEnd ${name}`, () => expect(windowEnd(OPENED, settings)).to.deep.equal(expected))

  const full: [string, number, AggregationSettings, boolean][] = [
    ['by count, one below the count', 2, BY_COUNT, false],
    ['by count, exactly the count', 3, BY_COUNT, true],
    ['by count, above the count', 4, BY_COUNT, true],
    ['both, exactly the count', 3, BOTH, true],
    ['by time: never full', 1_000, BY_TIME, false],
    ['neither: never full', 1_000, NEITHER, false],
  ]
  for (const [name, held, settings, expected] of full)
    it(`isFull ${name}: ${expected}`, () => expect(isFull(held, settings)).to.equal(expected))

  const due: [string, Date | null, Date, AggregationSettings, boolean][] = [
    ['by time, 1 ms before the end', at(MINUTE), at(MINUTE - 1), BY_TIME, false],
    ['by time, exactly at the end', at(MINUTE), at(MINUTE), BY_TIME, true],
    ['by time, after the end', at(MINUTE), at(MINUTE + 1), BY_TIME, true],
    ['both, exactly at the end', at(MINUTE), at(MINUTE), BOTH, true],
    ['by count: a window without an end is never due by time', null, at(10 * MINUTE), BY_COUNT, false],
    ['neither (keys removed by a reload): always due', null, OPENED, NEITHER, true],
    ['neither, even with an old end still in the future', at(MINUTE), OPENED, NEITHER, true],
  ]
  for (const [name, flushAt, now, settings, expected] of due)
    it(`isDue ${name}: ${expected}`, () => expect(isDue(flushAt, now, settings)).to.equal(expected))

  const now: [string, number, AggregationSettings, boolean][] = [
    ['by count, below the count', 2, BY_COUNT, false],
    ['by count, at the count', 3, BY_COUNT, true],
    ['by time: waits for its end', 50, BY_TIME, false],
    ['both, below the count: waits for its end', 2, BOTH, false],
    ['both, at the count', 3, BOTH, true],
    ['neither: flushes what it holds', 1, NEITHER, true],
  ]
  for (const [name, held, settings, expected] of now)
    it(`mustFlushNow ${name}: ${expected}`, () => expect(mustFlushNow(held, settings)).to.equal(expected))

  const sizes: [string, number, AggregationSettings, number][] = [
    ['by count, more held than the count', 5, BY_COUNT, 3],
    ['by count, exactly the count', 3, BY_COUNT, 3],
    ['by count, fewer (the window ended)', 2, BOTH, 2],
    ['by time: everything held', 50, BY_TIME, 50],
    ['neither: everything held', 4, NEITHER, 4],
  ]
  for (const [name, held, settings, expected] of sizes)
    it(`batchSize ${name}: ${expected}`, () => expect(batchSize(held, settings)).to.equal(expected))

  it('windowKey keeps each audience of an output apart, and outputs apart whatever their names', () => {
    expect(windowKey('mail', '')).to.not.equal(windowKey('mail', 'email-abc'))
    expect(windowKey('a', 'b')).to.not.equal(windowKey('a\u001fb', ''))
    expect(windowKey('mail', 'email-abc')).to.equal(windowKey('mail', 'email-abc'))
  })
})
