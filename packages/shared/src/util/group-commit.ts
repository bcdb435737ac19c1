/**
 * How an item may be batched: items of one `group` run in one batch at a time, and share a batch
 * only when their `member` is the same (for ingest: one image, and one digest of it).
 */
export interface BatchKey {
  readonly group: string
  readonly member: string
}

/** One submitted item waiting for its batch. */
interface Entry<I, R> {
  readonly item: I
  readonly key: BatchKey
  readonly resolve: (result: R) => void
  readonly reject: (error: unknown) => void
}

/**
 * Group commit: callers submit items one at a time and get their own result, while the work runs
 * in batches: whatever queued up while the previous batches ran goes into the next one (up to
 * `maxBatch`), with at most `maxConcurrent` batches at once. At low load a batch is a single item,
 * so nobody waits for a timer; under load batches grow and the per-item cost of a round trip or
 * a transaction shrinks. Items of one key group never run in two batches at once, so they keep
 * their arrival order (see BatchKey).
 */
export class GroupCommit<I, R> {
  readonly #queue: Entry<I, R>[] = []
  readonly #busyKeys = new Set<string>()
  #running = 0

  constructor(
    private readonly run: (items: readonly I[]) => Promise<readonly R[]>,
    private readonly keyOf: (item: I) => BatchKey,
    private readonly options: {
      readonly maxBatch: number
      readonly maxConcurrent: number
      /** With `weightOf`: a batch stops growing once its items weigh this much (a lone item always runs). */
      readonly maxWeight?: number
      readonly weightOf?: (item: I) => number
    },
  ) {}

  /** Queues one item; resolves with its result once its batch has run. */
  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, key: this.keyOf(item), resolve, reject })
      this.#pump()
    })
  }

  /** Items waiting for a batch. */
  get waiting(): number {
    return this.#queue.length
  }

  #pump(): void {
    while (this.#running < this.options.maxConcurrent) {
      const batch = this.#take()
      if (batch.length === 0) return
      this.#running++
      for (const entry of batch) this.#busyKeys.add(entry.key.group)
      this.run(batch.map((entry) => entry.item))
        .then(
          (results) => batch.forEach((entry, i) => entry.resolve(results[i]!)),
          (error: unknown) => batch.forEach((entry) => entry.reject(error)),
        )
        .finally(() => {
          this.#running--
          for (const entry of batch) this.#busyKeys.delete(entry.key.group)
          this.#pump()
        })
    }
  }

  #take(): Entry<I, R>[] {
    const batch: Entry<I, R>[] = []
    const members = new Map<string, string>()
    const blocked = new Set<string>()
    const rest: Entry<I, R>[] = []
    const { maxWeight = Infinity, weightOf = () => 0 } = this.options
    let weight = 0
    for (const entry of this.#queue) {
      const { group, member } = entry.key
      const taken = members.get(group)
      const heavy = batch.length > 0 && weight + weightOf(entry.item) > maxWeight
      const fits =
        batch.length < this.options.maxBatch &&
        !heavy &&
        !this.#busyKeys.has(group) &&
        !blocked.has(group) &&
        (taken === undefined || taken === member)
      if (fits) {
        members.set(group, member)
        weight += weightOf(entry.item)
        batch.push(entry)
      } else {
        // A later item of a group that had to wait must not overtake it.
        blocked.add(group)
        rest.push(entry)
      }
    }
    this.#queue.splice(0, this.#queue.length, ...rest)
    return batch
  }
}
