import { expect } from 'chai'
import { parseDuration, parseRateLimit, parseSize } from './units.js'

describe('config/units', () => {
  describe('parseDuration', () => {
    const good: [string | number, number][] = [
      ['30s', 30_000],
      ['5m', 300_000],
      ['5M', 300_000],
      ['1h', 3_600_000],
      ['1H', 3_600_000],
      ['1d', 86_400_000],
      ['250ms', 250],
      ['250MS', 250],
      ['1.5h', 5_400_000],
      [' 10 s ', 10_000],
      ['90', 90_000],
      [90, 90_000],
      [0, 0],
    ]
    for (const [input, ms] of good) {
      it(`${JSON.stringify(input)} is ${ms} ms`, () => expect(parseDuration(input)).to.deep.equal({ ok: true, value: ms }))
    }
    for (const input of ['', 'abc', '5 minutes', '-1s', '1w', '1h30m', 's', -5, Number.NaN]) {
      it(`${JSON.stringify(input)} is rejected with the accepted forms`, () => {
        const result = parseDuration(input)
        expect(result.ok).to.equal(false)
        if (!result.ok) expect(result.error).to.match(/ms, s, m, h or d/)
      })
    }
  })

  describe('parseSize', () => {
    const MB = 1024 * 1024
    const good: [string | number, number][] = [
      ['500MB', 500 * MB],
      ['500mb', 500 * MB],
      ['1GB', 1024 * MB],
      ['1GiB', 1024 * MB],
      ['512KB', 512 * 1024],
      ['512kib', 512 * 1024],
      ['10B', 10],
      ['2TB', 2 * 1024 * 1024 * MB],
      ['1.5 MiB', 1.5 * MB],
      ['13', 13 * MB],
      [13, 13 * MB],
    ]
    for (const [input, bytes] of good) {
      it(`${JSON.stringify(input)} is ${bytes} bytes`, () => expect(parseSize(input)).to.deep.equal({ ok: true, value: bytes }))
    }
    for (const input of ['', 'big', '5 parsecs', '-1MB', '1PB', 'MB']) {
      it(`${JSON.stringify(input)} is rejected`, () => expect(parseSize(input).ok).to.equal(false))
    }
  })

  describe('parseRateLimit', () => {
    const good: [string, unknown][] = [
      ['1/s', { max: 1, perMs: 1000 }],
      ['30/m', { max: 30, perMs: 60_000 }],
      ['100/h', { max: 100, perMs: 3_600_000 }],
      ['4 / S', { max: 4, perMs: 1000 }],
      ['10/min', { max: 10, perMs: 60_000 }],
      ['off', undefined],
      ['OFF', undefined],
    ]
    for (const [input, limit] of good) {
      it(`${JSON.stringify(input)}`, () => expect(parseRateLimit(input)).to.deep.equal({ ok: true, value: limit }))
    }
    for (const input of ['', '0/s', '1/d', '1.5/s', 'fast', '5', '/s']) {
      it(`${JSON.stringify(input)} is rejected`, () => {
        const result = parseRateLimit(input)
        expect(result.ok).to.equal(false)
        if (!result.ok) expect(result.error).to.match(/N\/s, N\/m or N\/h/)
      })
    }
  })
})
