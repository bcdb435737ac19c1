import { useState } from 'preact/hooks'
import { useRoute } from 'preact-iso'
import { SEVERITIES, when } from '../format.js'
import type { Finding, ScanDetail } from '../types.js'
import { Badge, Loaded, useResource, useTitle } from '../ui.js'

/** `/ui/scans/:id`: one scan, what changed, where it went and why. */
export function ScanDetailPage() {
  const { params } = useRoute()
  const id = params.id ?? ''
  useTitle(`Scan ${id.slice(0, 8)}`)
  const detail = useResource<ScanDetail>(`/console/scans/${encodeURIComponent(id)}`)
  return (
    <section aria-labelledby="scan-title">
      <p>
        <a href="/ui/scans">← All scans</a>
      </p>
      <Loaded resource={detail} what="this scan">
        {(d) => (
          <>
            <h1 id="scan-title">
              {d.scan.image} <Badge value={d.scan.outcome} />
            </h1>
            <dl class="facts">
              <dt>Registry</dt>
              <dd>{d.scan.registry || '—'}</dd>
              <dt>Digest</dt>
              <dd class="mono wrap">{d.scan.digest || '—'}</dd>
              <dt>Source</dt>
              <dd>{d.scan.source}</dd>
              <dt>Received</dt>
              <dd>{when(d.scan.receivedAt)}</dd>
              <dt>Compared with</dt>
              <dd>
                {d.scan.base ? (
                  d.scan.base.scanId ? (
                    <a href={`/ui/scans/${d.scan.base.scanId}`}>the previous scan ({d.scan.base.digest || 'no digest'})</a>
                  ) : (
                    d.scan.base.digest
                  )
                ) : (
                  'nothing: the first scan of this image'
                )}
              </dd>
              <dt>Scan id</dt>
              <dd class="mono">{d.scan.id}</dd>
            </dl>
            {d.parseError && <p class="error">{d.parseError}</p>}
            <h2>Severity counts</h2>
            {d.counts ? (
              <ul class="severities">
                {SEVERITIES.map((s) => (
                  <li key={s} class={`sev sev-${s}`}>
                    <span>{s}</span> <strong>{d.counts![s] ?? 0}</strong>
                  </li>
                ))}
              </ul>
            ) : (
              <p class="muted">Not available.</p>
            )}
            <Diff diff={d.diff} />
            <h2 id="deliveries-title">Deliveries</h2>
            {d.deliveries.length === 0 ? (
              <p class="empty">No delivery: no enabled integration took this scan (see why below).</p>
            ) : (
              <div class="scroll">
                <table aria-labelledby="deliveries-title">
                  <thead>
                    <tr>
                      <th scope="col">Output</th>
                      <th scope="col">Status</th>
                      <th scope="col">Attempts</th>
                      <th scope="col">Last error</th>
                      <th scope="col">Updated</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.deliveries.map((delivery) => (
                      <tr key={delivery.id} data-output={delivery.output}>
                        <th scope="row">
                          <a href={`/ui/deliveries?output=${encodeURIComponent(delivery.output)}`}>{delivery.output}</a>{' '}
                          <span class="muted">{delivery.kind}</span>
                        </th>
                        <td>
                          <Badge value={delivery.status} />
                        </td>
                        <td>{delivery.attempts}</td>
                        <td class="wrap">{delivery.lastError ?? '—'}</td>
                        <td>{when(delivery.updatedAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <h2>Why each integration sent or skipped it</h2>
            <p class="muted">
              Evaluated now against the running configuration, with the same policy rules ingest applied when the scan arrived (and postee
              explain prints).
            </p>
            {d.integrations.length === 0 ? (
              <p class="empty">No integration is enabled in the running configuration.</p>
            ) : (
              <ul class="decisions">
                {d.integrations.map((i) => (
                  <li key={i.name} data-integration={i.name}>
                    <p>
                      <strong>{i.send ? 'SEND' : 'SKIP'}</strong> {i.name} <span class="muted">({i.kind})</span>
                      {i.send
                        ? i.held
                          ? ': held for aggregation, sent in a batch'
                          : ': every policy key let it through'
                        : `: ${i.key}: ${i.reason}`}
                    </p>
                    {i.send && (
                      <details>
                        <summary>Preview of the message to {i.name}</summary>
                        {i.preview ? (
                          <>
                            <p class="muted">
                              {i.preview.format}
                              {i.previewNote ? `; ${i.previewNote}` : ''}
                            </p>
                            <pre tabIndex={0} aria-label={`Message to ${i.name}`}>
                              {i.preview.body}
                            </pre>
                          </>
                        ) : (
                          <p>{i.previewNote}</p>
                        )}
                      </details>
                    )}
                  </li>
                ))}
              </ul>
            )}
            <Findings findings={d.findings} />
          </>
        )}
      </Loaded>
    </section>
  )
}

function Diff(props: { diff: ScanDetail['diff'] }) {
  if (!props.diff)
    return <p class="muted">No diff: there was no earlier scan of this image to compare with, so every finding counts as new.</p>
  const { added, fixed } = props.diff
  return (
    <>
      <h2 id="diff-title">
        Changes since the previous scan: {added.length} new, {fixed.length} fixed
      </h2>
      <FindingTable findings={added} caption="New findings" empty="No new finding." />
      <FindingTable findings={fixed} caption="Fixed findings" empty="No finding was fixed." />
    </>
  )
}

function Findings(props: { findings: Finding[] }) {
  const [severity, setSeverity] = useState('')
  const [fixable, setFixable] = useState(false)
  const shown = props.findings.filter((f) => (severity === '' || f.severity === severity) && (!fixable || f.fixVersion !== ''))
  return (
    <>
      <h2 id="findings-title">Findings ({props.findings.length})</h2>
      <div class="filters" role="group" aria-label="Filter findings">
        <label>
          Severity
          <select value={severity} onChange={(e) => setSeverity(e.currentTarget.value)}>
            <option value="">any</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label class="check">
          <input type="checkbox" checked={fixable} onChange={(e) => setFixable(e.currentTarget.checked)} /> Fix available only
        </label>
      </div>
      <FindingTable findings={shown} caption={`Findings shown: ${shown.length}`} empty="No finding matches these filters." />
    </>
  )
}

function FindingTable(props: { findings: Finding[]; caption: string; empty: string }) {
  if (props.findings.length === 0)
    return (
      <p class="empty">
        {props.caption}: {props.empty}
      </p>
    )
  return (
    <div class="scroll">
      <table>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Vulnerability</th>
            <th scope="col">Severity</th>
            <th scope="col">Package</th>
            <th scope="col">Installed</th>
            <th scope="col">Fixed in</th>
          </tr>
        </thead>
        <tbody>
          {props.findings.map((f) => (
            <tr key={`${f.vulnerability}|${f.resource}|${f.resourceVersion}`}>
              <th scope="row">{f.vulnerability}</th>
              <td>
                <span class={`sev-text sev-${f.severity}`}>{f.severity}</span>
              </td>
              <td class="wrap">{f.resource}</td>
              <td>{f.resourceVersion}</td>
              <td>{f.fixVersion || 'no fix'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
