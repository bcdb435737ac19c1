import { useState } from 'preact/hooks'
import { useLocation } from 'preact-iso'
import { api, ApiError } from '../api.js'
import { clock, counted, when } from '../format.js'
import type { Delivery, Overview } from '../types.js'
import { Badge, ErrorBox, Loaded, LiveStatus, useConfirm, useResource, useTitle } from '../ui.js'

const STATUSES = ['pending', 'buffered', 'sending', 'sent', 'failed', 'dead'] as const
const IN_FLIGHT = new Set(['pending', 'buffered', 'sending'])
const REPLAYABLE = new Set(['failed', 'dead'])

/** `/ui/deliveries?status=&output=`: the ledger, dead letters and Replay. */
export function DeliveriesPage() {
  useTitle('Deliveries')
  const { query, route } = useLocation()
  const status = STATUSES.includes(query.status as (typeof STATUSES)[number]) ? query.status! : ''
  const output = query.output ?? ''
  const params = new URLSearchParams()
  if (status) params.set('status', status)
  if (output) params.set('output', output)
  const [inFlight, setInFlight] = useState(false)
  // Refreshes by itself only while something is moving; a quiet ledger is not polled.
  const ledger = useResource<{ deliveries: Delivery[] }>(`/deliveries${params.size ? `?${params}` : ''}`, inFlight ? 2_000 : undefined)
  const outputs = useResource<Overview>('/console/overview')
  const [selected, setSelected] = useState<Set<string>>(new Set())
  const [message, setMessage] = useState('')
  const [failure, setFailure] = useState('')
  const [dialog, confirm] = useConfirm()

  const rows = ledger.data?.deliveries ?? []
  const moving = rows.some((d) => IN_FLIGHT.has(d.status))
  if (moving !== inFlight && ledger.data) setInFlight(moving)

  const setFilter = (name: 'status' | 'output', value: string) => {
    const next = new URLSearchParams(params)
    if (value) next.set(name, value)
    else next.delete(name)
    setSelected(new Set())
    route(`/ui/deliveries${next.size ? `?${next}` : ''}`)
  }
  const replay = async (body: object, question: string, detail: string) => {
    if (!(await confirm(question, detail, 'Replay'))) return
    setFailure('')
    try {
      const report = await api<{ replayed: number }>('/deliveries/replay', { method: 'POST', body })
      setMessage(
        `Replay requested: ${report.replayed} ${report.replayed === 1 ? 'delivery' : 'deliveries'} queued again. The list refreshes until they settle.`,
      )
      setSelected(new Set())
      setInFlight(true)
      ledger.reload()
    } catch (error) {
      setFailure(`The replay failed: ${error instanceof ApiError ? error.message : String(error)}`)
    }
  }
  const toggle = (id: string, on: boolean) => {
    const next = new Set(selected)
    if (on) next.add(id)
    else next.delete(id)
    setSelected(next)
  }
  const dead = rows.filter((d) => REPLAYABLE.has(d.status))
  const outputNames = [...new Set([...(outputs.data?.outputs.map((o) => o.output) ?? []), ...(output ? [output] : [])])].sort()

  return (
    <section aria-labelledby="deliveries-title">
      <h1 id="deliveries-title">Deliveries</h1>
      {dialog}
      <div class="filters" role="group" aria-label="Filter deliveries">
        <label>
          Status
          <select value={status} onChange={(e) => setFilter('status', e.currentTarget.value)}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Output
          <select value={output} onChange={(e) => setFilter('output', e.currentTarget.value)}>
            <option value="">any</option>
            {outputNames.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <a href="/ui/deliveries?status=dead">Dead letters</a>
      </div>
      <div class="actions" role="group" aria-label="Replay">
        <button
          type="button"
          disabled={selected.size === 0}
          onClick={() =>
            replay(
              { ids: [...selected] },
              `Replay ${selected.size} selected ${selected.size === 1 ? 'delivery' : 'deliveries'}?`,
              'Each is queued again with a fresh set of attempts. Deliveries already sent are never sent twice.',
            )
          }
        >
          Replay selected ({selected.size})
        </button>
        {output && (
          <button
            type="button"
            onClick={() =>
              replay(
                { output },
                `Replay every failed and dead delivery of ${output}?`,
                `All failed and dead deliveries of ${output}, including ones not listed here, are queued again with a fresh set of attempts.`,
              )
            }
          >
            Replay all dead letters of {output}
          </button>
        )}
      </div>
      {message && <p role="status">{message}</p>}
      {failure && <ErrorBox message={failure} />}
      <Loaded resource={ledger} what="deliveries">
        {(data) =>
          data.deliveries.length === 0 ? (
            <p class="empty" role="status">
              {params.size > 0
                ? 'No delivery matches these filters. Choose another status or output, or clear the filters.'
                : "No deliveries yet. They appear when a scan passes an integration's policy."}
            </p>
          ) : (
            <>
              <LiveStatus>
                {counted(data.deliveries.length, 'delivery', 'deliveries')}
                {dead.length > 0 ? `, ${dead.length} failed or dead` : ''}. Updated at {clock(ledger.updatedAt!)}
                {inFlight ? '; refreshing every 2 s while work is in flight.' : '.'}
              </LiveStatus>
              <div class="scroll">
                <table>
                  <caption class="visually-hidden">Deliveries, newest first</caption>
                  <thead>
                    <tr>
                      <th scope="col">
                        <span class="visually-hidden">Select</span>
                      </th>
                      <th scope="col">Output</th>
                      <th scope="col">Status</th>
                      <th scope="col">Attempts</th>
                      <th scope="col">Scan</th>
                      <th scope="col">Last error</th>
                      <th scope="col">Updated</th>
                      <th scope="col">
                        <span class="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.deliveries.map((d) => (
                      <tr key={d.id} data-delivery={d.id} data-status={d.status}>
                        <td>
                          {REPLAYABLE.has(d.status) && (
                            <input
                              type="checkbox"
                              aria-label={`Select the ${d.output} delivery of ${when(d.createdAt)}`}
                              checked={selected.has(d.id)}
                              onChange={(e) => toggle(d.id, e.currentTarget.checked)}
                            />
                          )}
                        </td>
                        <th scope="row">
                          {d.output} <span class="muted">{d.kind}</span>
                        </th>
                        <td>
                          <Badge value={d.status} />
                        </td>
                        <td>{d.attempts}</td>
                        <td>{d.scan ? <a href={`/ui/scans/${d.scan}`}>{d.scan.slice(0, 8)}</a> : 'batch'}</td>
                        <td class="wrap">{d.lastError ?? '—'}</td>
                        <td>{when(d.updatedAt)}</td>
                        <td>
                          {REPLAYABLE.has(d.status) && (
                            <button
                              type="button"
                              aria-label={`Replay the ${d.output} delivery of ${when(d.createdAt)}`}
                              onClick={() =>
                                replay(
                                  { ids: [d.id] },
                                  `Replay this ${d.output} delivery?`,
                                  `It is queued again with a fresh set of attempts. Its last error: ${d.lastError ?? 'none'}`,
                                )
                              }
                            >
                              Replay
                            </button>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )
        }
      </Loaded>
    </section>
  )
}
