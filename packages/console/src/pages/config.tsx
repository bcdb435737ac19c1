import { useState } from 'preact/hooks'
import { api, ApiError } from '../api.js'
import type { ConfigView } from '../types.js'
import { ErrorBox, Loaded, useConfirm, useResource, useTitle } from '../ui.js'

/** `/ui/config`: the running config, secrets masked; problems of the file on disk; Reload. */
export function ConfigPage() {
  useTitle('Configuration')
  const config = useResource<ConfigView>('/console/config')
  const [result, setResult] = useState<{ ok: boolean; text: string; problems?: readonly string[] } | undefined>()
  const [dialog, confirm] = useConfirm()
  const reload = async () => {
    if (
      !(await confirm(
        'Reload the configuration?',
        'Ingest reads cfg.yaml again. If the file has problems it is refused and the running configuration stays in force.',
        'Reload',
      ))
    )
      return
    try {
      await api('/reload', { method: 'POST' })
      setResult({ ok: true, text: 'The configuration was reloaded and is now in force in this ingest process.' })
    } catch (error) {
      if (error instanceof ApiError && error.status === 422)
        setResult({
          ok: false,
          text: 'The new configuration was refused; the old one stays in force. Fix the problems listed below and reload again.',
        })
      else setResult({ ok: false, text: `The reload failed: ${(error as Error).message}` })
    }
    config.reload()
  }
  return (
    <section aria-labelledby="config-title">
      <h1 id="config-title">Configuration</h1>
      {dialog}
      <p class="muted">
        The configuration this ingest process runs with. Every secret (tokens, passwords, webhook URLs) is shown as &lt;secret&gt;.
      </p>
      <div class="actions">
        <button type="button" class="primary" onClick={reload}>
          Reload
        </button>
      </div>
      <div role="status" aria-live="polite">
        {result && <p class={result.ok ? 'ok' : 'error'}>{result.text}</p>}
      </div>
      <Loaded resource={config} what="the configuration">
        {(c) => (
          <>
            <h2>Problems</h2>
            {c.fileProblems === null ? (
              <p class="muted">This ingest cannot check the file on disk.</p>
            ) : c.fileProblems.length === 0 ? (
              <p class="ok">cfg.yaml on disk is valid.</p>
            ) : (
              <ErrorBox
                message={`cfg.yaml on disk has ${c.fileProblems.length} problems; a reload would be refused: ${c.fileProblems.join('; ')}`}
              />
            )}
            {c.notices.length > 0 && (
              <>
                <h2>Notices</h2>
                <ul>
                  {c.notices.map((n) => (
                    <li key={n}>{n}</li>
                  ))}
                </ul>
              </>
            )}
            <h2>Running configuration</h2>
            <pre tabIndex={0} aria-label="Running configuration as JSON" data-testid="config-json">
              {JSON.stringify(c.config, null, 2)}
            </pre>
          </>
        )}
      </Loaded>
    </section>
  )
}
