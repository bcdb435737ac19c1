import { useState } from 'preact/hooks'
import { useLocation } from 'preact-iso'
import { api, ApiError } from '../api.js'
import { counted, when } from '../format.js'
import type { FindingPage, FindingRow } from '../types.js'
import { Badge, ErrorBox, Loaded, LiveStatus, useResource, useTitle } from '../ui.js'

const FIELDS = ['registry', 'image', 'state', 'vulnerability'] as const
const STATES = ['open', 'fixed'] as const

// Pages fetched with "Load more", kept only for the search they continue: a new search starts over.
interface MorePages {
  first: string
  findings: FindingRow[]
  next: string | undefined
}

/** `/ui/findings?registry=&image=&state=&vulnerability=`: each finding of each image, open or fixed; the filters live in the URL. */
export function FindingsPage() {
  useTitle('Findings')
  const { query, route } = useLocation()
  const params = new URLSearchParams()
  for (const field of ['registry', 'image', 'vulnerability'] as const) if (query[field]) params.set(field, query[field])
  const state = STATES.includes(query.state as (typeof STATES)[number]) ? query.state! : ''
  if (state) params.set('state', state)
  const filtered = params.size > 0
  // `limit` is a deep-link knob only (the API's default page is 100 findings).
  if (query.limit && /^\d+$/.test(query.limit)) params.set('limit', query.limit)
  const first = `/findings${params.size ? `?${params}` : ''}`
  const findings = useResource<FindingPage>(first)
  const [more, setMore] = useState<MorePages | undefined>(undefined)
  const [loadingMore, setLoadingMore] = useState(false)
  const [failure, setFailure] = useState('')
  const extra = more?.first === first ? more : undefined

  const submit = (event: Event) => {
    event.preventDefault()
    const data = new FormData(event.currentTarget as HTMLFormElement)
    const next = new URLSearchParams()
    for (const field of FIELDS) {
      const entry = data.get(field)
      const value = typeof entry === 'string' ? entry.trim() : ''
      if (value) next.set(field, value)
    }
    setFailure('')
    route(`/ui/findings${next.size ? `?${next}` : ''}`)
  }
  const loadMore = async (cursor: string) => {
    setLoadingMore(true)
    setFailure('')
    const next = new URLSearchParams(params)
    next.set('cursor', cursor)
    try {
      const page = await api<FindingPage>(`/findings?${next}`)
      setMore({ first, findings: [...(extra?.findings ?? []), ...page.findings], next: page.next })
    } catch (error) {
      setFailure(`Could not load more findings: ${error instanceof ApiError ? error.message : String(error)}. Try "Load more" again.`)
    } finally {
      setLoadingMore(false)
    }
  }

  return (
    <section aria-labelledby="findings-title">
      <h1 id="findings-title">Findings</h1>
      <p class="muted">Each finding of each image: open while the image's latest scan holds it, fixed once a newer scan no longer does.</p>
      <form class="filters" role="search" aria-label="Search findings" onSubmit={submit}>
        <label>
          Registry <input name="registry" type="search" value={query.registry ?? ''} placeholder="exact name" />
        </label>
        <label>
          Image <input name="image" type="search" value={query.image ?? ''} placeholder="exact name" />
        </label>
        <label>
          State
          <select name="state" value={state}>
            <option value="">any</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Vulnerability <input name="vulnerability" type="search" value={query.vulnerability ?? ''} placeholder="e.g. CVE-2024-1234" />
        </label>
        <button type="submit" class="primary">
          Search
        </button>
        <a href="/ui/findings">Clear</a>
      </form>
      <Loaded resource={findings} what="findings">
        {(data) => {
          const rows = [...data.findings, ...(extra?.findings ?? [])]
          const cursor = extra ? extra.next : data.next
          if (rows.length === 0)
            return (
              <p class="empty" role="status">
                {filtered
                  ? 'No finding matches these filters. Registry, image and vulnerability must match exactly: check the spelling, choose another state, or clear the search.'
                  : 'No findings recorded yet. They appear here when a scanner posts a scan with vulnerabilities to ingest.'}
              </p>
            )
          const open = rows.filter((f) => f.state === 'open').length
          return (
            <>
              <LiveStatus>
                {counted(rows.length, 'finding', 'findings')} shown ({open} open, {rows.length - open} fixed)
                {cursor ? '; more with "Load more".' : '.'}
              </LiveStatus>
              <div class="scroll">
                <table>
                  <caption class="visually-hidden">Findings per image, in the order they were first recorded</caption>
                  <thead>
                    <tr>
                      <th scope="col">Image</th>
                      <th scope="col">Vulnerability</th>
                      <th scope="col">Severity</th>
                      <th scope="col">Package</th>
                      <th scope="col">Installed</th>
                      <th scope="col">Fixed in</th>
                      <th scope="col">State</th>
                      <th scope="col">First seen</th>
                      <th scope="col">Last seen</th>
                      <th scope="col">Fixed at</th>
                      <th scope="col">Reopened</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((f) => (
                      <tr
                        key={`${f.registry}\n${f.image}\n${f.resource}\n${f.resourceVersion}\n${f.vulnerability}`}
                        data-finding={f.vulnerability}
                        data-state={f.state}
                      >
                        <th scope="row">
                          {f.image} <span class="muted">{f.registry}</span>
                        </th>
                        <td class="nowrap">{f.vulnerability}</td>
                        <td>
                          <span class={`sev-text sev-${f.severity}`}>{f.severity}</span>
                        </td>
                        <td class="wrap">{f.resource}</td>
                        <td>{f.resourceVersion || '—'}</td>
                        <td>{f.fixVersion || <span class="muted">no fix known</span>}</td>
                        <td>
                          <Badge value={f.state} />
                        </td>
                        <td>{when(f.firstSeen)}</td>
                        <td>{when(f.lastSeen)}</td>
                        <td>{when(f.fixedAt)}</td>
                        <td>{f.timesReopened === 0 ? 'never' : counted(f.timesReopened, 'time', 'times')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {failure && <ErrorBox message={failure} />}
              {cursor && (
                <div class="actions">
                  <button
                    type="button"
                    aria-disabled={loadingMore}
                    // Not `disabled`: a disabled button drops keyboard focus while the page loads.
                    onClick={() => !loadingMore && void loadMore(cursor)}
                  >
                    {loadingMore ? 'Loading more findings…' : 'Load more'}
                  </button>
                </div>
              )}
            </>
          )
        }}
      </Loaded>
    </section>
  )
}
