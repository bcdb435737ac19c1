import { HourlyChart } from '../chart.js'
import { ago, clock, duration, when } from '../format.js'
import type { Overview } from '../types.js'
import { Loaded, LiveStatus, useResource, useTitle } from '../ui.js'

/** `/ui/`: the last 24 h at a glance. */
export function OverviewPage() {
  useTitle('Overview')
  const overview = useResource<Overview>('/console/overview', 10_000)
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <Loaded resource={overview} what="the overview">
        {(o) => (
          <>
            <LiveStatus>
              Last 24 hours, from {when(o.since)}. Updated at {clock(overview.updatedAt!)}; refreshes every 10 s.
            </LiveStatus>
            <div class="cards">
              <div class="card" aria-labelledby="scans-card">
                <h2 id="scans-card">Scans</h2>
                <p class="big" data-testid="scans-total">
                  {o.scans.total}
                </p>
                <dl class="inline">
                  <dt>new</dt>
                  <dd>{o.scans.new}</dd>
                  <dt>changed</dt>
                  <dd>{o.scans.changed}</dd>
                  <dt>unchanged</dt>
                  <dd>{o.scans.unchanged}</dd>
                </dl>
              </div>
              <div class="card">
                <h2>Deliveries</h2>
                <p class="big">{o.deliveries.total}</p>
                <dl class="inline">
                  {(['sent', 'pending', 'buffered', 'sending', 'failed', 'dead'] as const).map((status) => (
                    <>
                      <dt>{status}</dt>
                      <dd>
                        {status === 'failed' || status === 'dead' ? (
                          <a href={`/ui/deliveries?status=${status}`}>{o.deliveries[status]}</a>
                        ) : (
                          o.deliveries[status]
                        )}
                      </dd>
                    </>
                  ))}
                </dl>
              </div>
            </div>
            {o.scans.total === 0 && o.deliveries.total === 0 && (
              <p class="empty">
                No scans in the last 24 hours. Point a scanner (Aqua, Trivy, Trivy Operator) at this ingest's POST /scan with the ingest
                token, and they will appear here.
              </p>
            )}
            <h2>Per hour</h2>
            <HourlyChart hourly={o.hourly} />
            <details>
              <summary>The chart's figures as a table</summary>
              <div class="scroll">
                <table>
                  <caption>Scans, deliveries and mean delivery latency per hour</caption>
                  <thead>
                    <tr>
                      <th scope="col">Hour</th>
                      <th scope="col">Scans</th>
                      <th scope="col">Deliveries</th>
                      <th scope="col">Sent</th>
                      <th scope="col">Mean latency</th>
                    </tr>
                  </thead>
                  <tbody>
                    {o.hourly.map((h) => (
                      <tr key={h.hour}>
                        <td>{when(h.hour)}</td>
                        <td>{h.scans}</td>
                        <td>{h.deliveries}</td>
                        <td>{h.sent}</td>
                        <td>{duration(h.latencyMs)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </details>
            <h2 id="outputs-title">Outputs</h2>
            {o.outputs.length === 0 ? (
              <p class="empty">No integration is enabled. Add one to cfg.yaml and reload the configuration (Configuration page).</p>
            ) : (
              <div class="scroll">
                <table aria-labelledby="outputs-title">
                  <thead>
                    <tr>
                      <th scope="col">Output</th>
                      <th scope="col">Sent</th>
                      <th scope="col">Failed</th>
                      <th scope="col">Dead</th>
                      <th scope="col">Queue depth</th>
                      <th scope="col">Oldest waiting</th>
                      <th scope="col">Last error</th>
                    </tr>
                  </thead>
                  <tbody>
                    {o.outputs.map((out) => (
                      <tr key={out.output} data-output={out.output}>
                        <th scope="row">
                          <a href={`/ui/deliveries?output=${encodeURIComponent(out.output)}`}>{out.output}</a>
                          <span class="muted">
                            {' '}
                            {out.kind ?? ''}
                            {out.enabled ? '' : ' (not in the running config)'}
                          </span>
                        </th>
                        <td>{out.sent}</td>
                        <td>
                          {out.failed > 0 ? (
                            <a href={`/ui/deliveries?status=failed&output=${encodeURIComponent(out.output)}`}>{out.failed}</a>
                          ) : (
                            0
                          )}
                        </td>
                        <td>
                          {out.dead > 0 ? (
                            <a href={`/ui/deliveries?status=dead&output=${encodeURIComponent(out.output)}`}>{out.dead}</a>
                          ) : (
                            0
                          )}
                        </td>
                        <td>
                          {out.queue
                            ? `${out.queue.waiting} waiting, ${out.queue.delayed} delayed, ${out.queue.active} active`
                            : 'unknown (Redis did not answer)'}
                        </td>
                        <td>{out.oldestWaitingAt ? `${when(out.oldestWaitingAt)} (${ago(out.oldestWaitingAt)})` : 'none'}</td>
                        <td class="wrap">{out.lastError ? `${out.lastError.message} (${when(out.lastError.at)})` : 'none'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        )}
      </Loaded>
    </section>
  )
}
