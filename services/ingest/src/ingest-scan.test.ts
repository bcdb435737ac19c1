import { expect } from 'chai'
import type { RecordedScan, ScanToRecord } from '@postee/store'
import { recordIsolated } from './ingest-scan.js'

const input = (id: string) => ({ id }) as unknown as ScanToRecord
const recorded = (id: string) => ({ decision: { outcome: 'new' }, deliveries: [], aggregation: [], id }) as unknown as RecordedScan

describe('recordIsolated', () => {
  it('records a batch in one call when it succeeds', async () => {
    const calls: string[][] = []
    const results = await recordIsolated(
      async (inputs) => {
        calls.push(inputs.map((i) => i.id))
        return inputs.map((i) => recorded(i.id))
      },
      [input('a'), input('b')],
    )
    expect(calls).to.deep.equal([['a', 'b']])
    expect(results).to.have.length(2)
  })

  it('when a batch fails, records its scans one by one so only the refused one fails', async () => {
    const calls: string[][] = []
    const results = await recordIsolated(
      async (inputs) => {
        calls.push(inputs.map((i) => i.id))
        if (inputs.some((i) => i.id === 'poison')) throw new Error('refused by Postgres')
        return inputs.map((i) => recorded(i.id))
      },
      [input('a'), input('poison'), input('c')],
    )
    expect(calls).to.deep.equal([['a', 'poison', 'c'], ['a'], ['poison'], ['c']])
    expect(results.map((r) => ('failed' in r ? 'failed' : 'ok'))).to.deep.equal(['ok', 'failed', 'ok'])
  })

  it('when Postgres is out of reach, fails the whole batch at once instead of trying each scan again', async () => {
    const calls: string[][] = []
    const lost = Object.assign(new Error('Connection terminated unexpectedly'), {})
    const results = await recordIsolated(
      async (inputs) => {
        calls.push(inputs.map((i) => i.id))
        throw lost
      },
      [input('a'), input('b'), input('c')],
    )
    expect(calls).to.deep.equal([['a', 'b', 'c']])
    expect(results).to.deep.equal([{ failed: lost }, { failed: lost }, { failed: lost }])
  })
})
