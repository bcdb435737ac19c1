import { expect } from 'chai'
import { GroupCommit } from './group-commit.js'

interface Item {
  readonly group: string
  readonly member: string
  readonly n: number
}

function recorder(delayMs = 5, fail?: (items: readonly Item[]) => boolean) {
  const batches: Item[][] = []
  const commit = new GroupCommit<Item, number>(
    async (items) => {
      batches.push([...items])
      await new Promise((resolve) => setTimeout(resolve, delayMs))
      if (fail?.(items)) throw new Error('batch failed')
      return items.map((item) => item.n * 10)
    },
    (item) => ({ group: item.group, member: item.member }),
    { maxBatch: 4, maxConcurrent: 2 },
  )
  return { commit, batches }
}

describe('GroupCommit', () => {
  it('runs a lone item at once, as a batch of one', async () => {
    const { commit, batches } = recorder()
    expect(await commit.submit({ group: 'a', member: '1', n: 1 })).to.equal(10)
    expect(batches).to.deep.equal([[{ group: 'a', member: '1', n: 1 }]])
  })

  it('groups what queues up while batches run, up to maxBatch, each caller getting its own result', async () => {
    const { commit, batches } = recorder()
    const items = Array.from({ length: 10 }, (_, n) => ({ group: `g${n}`, member: '', n }))
    const results = await Promise.all(items.map((item) => commit.submit(item)))
    expect(results).to.deep.equal(items.map((item) => item.n * 10))
    expect(batches.map((b) => b.length)).to.deep.equal([1, 1, 4, 4])
  })

  it('never runs one group in two batches at once, and keeps its order', async () => {
    const { commit, batches } = recorder()
    const items = [
      { group: 'img', member: 'sha1', n: 1 },
      { group: 'img', member: 'sha2', n: 2 },
      { group: 'img', member: 'sha2', n: 3 },
      { group: 'other', member: '', n: 4 },
    ]
    await Promise.all(items.map((item) => commit.submit(item)))
    const order = batches
      .flat()
      .filter((item) => item.group === 'img')
      .map((item) => item.n)
    expect(order).to.deep.equal([1, 2, 3])
    for (const batch of batches) {
      const members = new Set(batch.filter((item) => item.group === 'img').map((item) => item.member))
      expect(members.size).to.be.at.most(1)
    }
    expect(batches.some((batch) => batch.filter((item) => item.member === 'sha2').length === 2)).to.equal(true)
  })

  it('stops a batch growing at maxWeight, but always runs a lone heavy item', async () => {
    const batches: number[][] = []
    const commit = new GroupCommit<number, number>(
      async (items) => {
        batches.push([...items])
        await new Promise((resolve) => setTimeout(resolve, 5))
        return [...items]
      },
      (n) => ({ group: String(n), member: '' }),
      { maxBatch: 10, maxConcurrent: 1, maxWeight: 10, weightOf: (n) => n },
    )
    await Promise.all([1, 4, 4, 4, 20, 1].map((n) => commit.submit(n)))
    // Items of other groups may fill the room a heavier one left.
    expect(batches).to.deep.equal([[1], [4, 4, 1], [4], [20]])
  })

  it('rejects every item of a failed batch, and goes on with the next', async () => {
    const { commit } = recorder(5, (items) => items.some((item) => item.n === 2))
    const outcomes = await Promise.allSettled([1, 2, 3].map((n) => commit.submit({ group: `g${n}`, member: '', n })))
    expect(outcomes[0]).to.deep.equal({ status: 'fulfilled', value: 10 })
    expect(outcomes[1]!.status).to.equal('rejected')
    expect(await commit.submit({ group: 'later', member: '', n: 9 })).to.equal(90)
    expect(commit.waiting).to.equal(0)
  })
})
