import { expect } from 'chai'
import { waitFor, waitUntil } from './wait.js'

describe('waitFor', () => {
  it('returns the first truthy value of the check', async () => {
    let calls = 0
    const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), { intervalMs: 1 })
    expect(value).to.deep.equal({ calls: 3 })
  })

  it('treats a throwing or rejecting check as "not yet"', async () => {
    let calls = 0
    const value = await waitFor(
      async () => {
        calls++
        if (calls < 3) throw new Error('not ready')
        return 'ready'
      },
      { intervalMs: 1 },
    )
    expect(value).to.equal('ready')
  })

  it('times out naming what it waited for and the last thing it saw', async () => {
    const error = await waitFor(() => 0, { timeoutMs: 30, intervalMs: 5, what: 'the batch' }).then(
      () => undefined,
      (e: Error) => e,
    )
    expect(error?.message).to.match(/^timed out after 30 ms waiting for the batch; last seen: 0$/)
    const thrown = await waitFor(
      () => {
        throw new Error('connection refused')
      },
      { timeoutMs: 30, intervalMs: 5 },
    ).then(
      () => undefined,
      (e: Error) => e,
    )
    expect(thrown?.message).to.include('last seen: connection refused')
  })

  it('waitUntil returns once the instant has passed, at once for a past instant', async () => {
    const target = Date.now() + 20
    await waitUntil(target)
    expect(Date.now()).to.be.at.least(target)
    await waitUntil(0)
  })
})
