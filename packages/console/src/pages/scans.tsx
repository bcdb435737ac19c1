import { useLocation } from 'preact-iso'
import { counted, when } from '../format.js'
import type { ScanPage } from '../types.js'
import { Badge, Loaded, LiveStatus, useResource, useTitle } from '../ui.js'

const FIELDS = ['image', 'registry', 'outcome', 'from', 'to'] as const

// <input type="datetime-local"> speaks the browser's zone without one; the API wants ISO with one.
function toIso(local: string | undefined): string | undefined {
  if (!local) return undefined
  const date = new Date(local)
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}

/** `/ui/scans`: search by image, registry, outcome and time; the filters live in the URL. */
export function ScansPage() {
  useTitle('Scans')
  const { query, route } = useLocation()
  const params = new URLSearchParams()
  for (const field of ['image', 'registry', 'outcome'] as const) if (query[field]) params.set(field, query[field])
  for (const field of ['from', 'to'] as const) {
    const iso = toIso(query[field])
    if (iso) params.set(field, iso)
  }
  const page = Number(query.page ?? '1') || 1
  params.set('page', String(page))
  params.set('pageSize', '25')
  const scans = useResource<ScanPage>(`/console/scans?${params}`)

  const submit = (event: Event) => {
    event.preventDefault()
    const data = new FormData(event.currentTarget as HTMLFormElement)
    const next = new URLSearchParams()
    for (const field of FIELDS) {
      const entry = data.get(field)
      const value = typeof entry === 'string' ? entry.trim() : ''
      if (value) next.set(field, value)
    }
    route(`/ui/scans${next.size ? `?${next}` : ''}`)
  }
  const pageLink = (n: number) => {
    const next = new URLSearchParams(query)
    next.set('page', String(n))
    return `/ui/scans?${next}`
  }
  return (
    <section aria-labelledby="scans-title">
      <h1 id="scans-title">Scans</h1>
      <form class="filters" role="search" aria-label="Search scans" onSubmit={submit}>
        <label>
          Image <input name="image" type="search" value={query.image ?? ''} placeholder="part of the name" />
        </label>
        <label>
          Registry <input name="registry" type="search" value={query.registry ?? ''} />
        </label>
        <label>
          Outcome
          <select name="outcome" value={query.outcome ?? ''}>
            <option value="">any</option>
            <option value="new">new</option>
            <option value="changed">changed</option>
            <option value="unchanged">unchanged</option>
          </select>
        </label>
        <label>
          Received from <input name="from" type="datetime-local" value={query.from ?? ''} />
        </label>
        <label>
          until <input name="to" type="datetime-local" value={query.to ?? ''} />
        </label>
        <button type="submit" class="primary">
          Search
        </button>
        <a href="/ui/scans">Clear</a>
      </form>
      <Loaded resource={scans} what="scans">
        {(result) =>
          result.scans.length === 0 ? (
            <p class="empty" role="status">
              {params.size > 2
                ? 'No scan matches these filters. Widen the search or clear it.'
                : 'No scans stored yet. Scans appear here as soon as a scanner posts one to ingest.'}
            </p>
          ) : (
            <>
              <LiveStatus>
                {counted(result.total, 'scan', 'scans')}; page {result.page} of {Math.max(1, Math.ceil(result.total / result.pageSize))}.
              </LiveStatus>
              <div class="scroll">
                <table>
                  <caption class="visually-hidden">Scans, newest first</caption>
                  <thead>
                    <tr>
                      <th scope="col">Image</th>
                      <th scope="col">Registry</th>
                      <th scope="col">Outcome</th>
                      <th scope="col">New / fixed</th>
                      <th scope="col">Deliveries</th>
                      <th scope="col">Received</th>
                    </tr>
                  </thead>
                  <tbody>
                    {result.scans.map((scan) => (
                      <tr key={scan.id} data-scan={scan.id}>
                        <th scope="row">
                          <a href={`/ui/scans/${scan.id}`}>{scan.image}</a>
                        </th>
                        <td>{scan.registry}</td>
                        <td>
                          <Badge value={scan.outcome} />
                        </td>
                        <td>{scan.added === null ? '—' : `${scan.added} / ${scan.fixed}`}</td>
                        <td>
                          {Object.entries(scan.deliveries)
                            .map(([status, n]) => `${n} ${status}`)
                            .join(', ') || 'none'}
                        </td>
                        <td>{when(scan.receivedAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <nav class="pager" aria-label="Pages of scans">
                {result.page > 1 && <a href={pageLink(result.page - 1)}>Previous page</a>}
                {result.page * result.pageSize < result.total && <a href={pageLink(result.page + 1)}>Next page</a>}
              </nav>
            </>
          )
        }
      </Loaded>
    </section>
  )
}
