import { expect } from 'chai'
import { readEnvironment } from '@postee/shared'
import { BodyBudget, bodyBudgetBytes, expectedBodyBytes } from './admission.js'

const MB = 1024 * 1024

describe('ingest body budget', () => {
  const cases: { name: string; budget: number; steps: [op: 'reserve' | 'release', bytes: number, admitted?: boolean][] }[] = [
    { name: 'a body over the budget is admitted when nothing else is in flight', budget: 10 * MB, steps: [['reserve', 20 * MB, true]] },
    {
      name: 'a second body beyond the budget is refused',
      budget: 26 * MB,
      steps: [
        ['reserve', 20 * MB, true],
        ['reserve', 20 * MB, false],
      ],
    },
    {
      name: 'small bodies share the budget',
      budget: 26 * MB,
      steps: [
        ['reserve', 20 * MB, true],
        ['reserve', 1 * MB, true],
        ['reserve', 5 * MB, true],
        ['reserve', 1, false],
      ],
    },
    {
      name: 'a release makes room again',
      budget: 26 * MB,
      steps: [
        ['reserve', 20 * MB, true],
        ['reserve', 20 * MB, false],
        ['release', 20 * MB],
        ['reserve', 20 * MB, true],
      ],
    },
  ]
  for (const { name, budget, steps } of cases) {
    it(name, () => {
      const b = new BodyBudget(budget)
      for (const [op, bytes, admitted] of steps) {
        if (op === 'release') b.release(bytes)
        else expect(b.tryReserve(bytes), `reserve ${bytes}`).to.equal(admitted)
      }
    })
  }

  it('grows a reservation to the size read only when it fits', () => {
    const b = new BodyBudget(26 * MB)
    expect(b.tryReserve(1 * MB)).to.equal(true)
    expect(b.tryGrow(1 * MB, 20 * MB)).to.equal(true)
    expect(b.inFlight).to.equal(20 * MB)
    expect(b.tryReserve(1 * MB)).to.equal(true)
    expect(b.tryGrow(1 * MB, 10 * MB)).to.equal(false)
    expect(b.inFlight).to.equal(21 * MB)
  })

  const expected: [headers: Record<string, string>, bytes: number][] = [
    [{ 'content-length': '1000' }, 1000],
    [{ 'content-length': '1000', 'content-encoding': 'identity' }, 1000],
    [{ 'content-length': '1000', 'content-encoding': 'gzip' }, 20 * MB],
    [{}, 20 * MB],
    [{ 'content-length': String(30 * MB) }, 20 * MB],
  ]
  for (const [headers, bytes] of expected) {
    it(`expects ${bytes} bytes for ${JSON.stringify(headers)}`, () => {
      expect(expectedBodyBytes(headers, 20 * MB)).to.equal(bytes)
    })
  }

  it('defaults to an eighth of the heap limit and reads POSTEE_INGEST_BODY_BUDGET_MB', () => {
    const budget = (env: NodeJS.ProcessEnv) => bodyBudgetBytes(readEnvironment(env).ingestBodyBudgetMb, 208 * MB)
    expect(budget({})).to.equal(26 * MB)
    expect(budget({ POSTEE_INGEST_BODY_BUDGET_MB: '64' })).to.equal(64 * MB)
    expect(budget({ POSTEE_INGEST_BODY_BUDGET_MB: '0.5' })).to.equal(MB / 2)
    expect(() => budget({ POSTEE_INGEST_BODY_BUDGET_MB: 'lots' })).to.throw(
      /POSTEE_INGEST_BODY_BUDGET_MB: "lots" is not a positive number of MB/,
    )
  })
})
