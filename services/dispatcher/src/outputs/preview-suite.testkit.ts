import { expect } from 'chai'
import type { DeliveryBatch, MessagePreview, Output } from '@postee/shared'
import { batchOf, fixtureItem, generatedItem } from '@postee/testkit'

/**
 * The preview contract every output keeps: `preview` builds the very body `send` delivers (so
 * `postee explain` shows what would really go out), and every measured part is within its limit,
 * also for the largest fixture (340 KB) and a 5,000-finding scan. Each output runs this suite
 * against its own fake.
 */

/** An output wired to its fake, and what the fake received last. */
export interface PreviewHarness {
  readonly output: Output
  /** The body of the last request (or, for email, the received content as `preview` spells it). */
  readonly received: () => string
  readonly stop: () => Promise<void>
}

const AQUA_SERVER = 'https://aqua.example.com'

const BATCHES: readonly { readonly name: string; readonly batch: () => DeliveryBatch }[] = [
  { name: 'aqua-input, with a diff', batch: () => batchOf([fixtureItem('aqua-input.json', { withDiff: true })]) },
  { name: 'the 340 KB fixture', batch: () => batchOf([fixtureItem('extracted/v1-scanservice_test.AshexPokemongoSource.json')]) },
  { name: '5,000 findings', batch: () => batchOf([generatedItem(5000)]) },
  { name: '5,000 findings, with a diff', batch: () => batchOf([generatedItem(5000, { withDiff: true })]) },
]

/** Checks that no part of a preview is over its limit and that sizes are whole, non-negative numbers. */
export function expectWithinLimits(preview: MessagePreview): void {
  expect(preview.parts).to.not.be.empty
  for (const part of preview.parts) {
    expect(Number.isInteger(part.size) && part.size >= 0, `${part.name} size ${part.size}`).to.equal(true)
    if (part.limit !== undefined) expect(part.size, `${part.name} (${part.unit})`).to.be.at.most(part.limit)
  }
}

/** Registers the preview tests of one output; `start` wires a fresh output to a fresh fake. */
export function previewSuite(title: string, start: () => Promise<PreviewHarness>): void {
  describe(`${title}: preview`, () => {
    let harness: PreviewHarness
    beforeEach(async () => {
      harness = await start()
    })
    afterEach(async () => harness.stop())

    for (const { name, batch } of BATCHES) {
      it(`${name}: the body send delivers, every part within its limit`, async () => {
        const delivered = batch()
        const preview = harness.output.preview({ aquaServer: AQUA_SERVER }, delivered)
        await harness.output.send({ signal: AbortSignal.timeout(20_000), timeoutMs: 20_000, aquaServer: AQUA_SERVER }, delivered)
        // Plain equality: chai's diff of a 300 KB string helps nobody.
        expect(harness.received() === preview.body, 'the preview body differs from the body the fake received').to.equal(true)
        expectWithinLimits(preview)
      })
    }
  })
}
