import type { ComponentChildren } from 'preact'
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { api, ApiError } from './api.js'
import { clock } from './format.js'

/** The state of one API read: loading, an error, or the data (kept while a refresh runs). */
export interface Resource<T> {
  data: T | undefined
  error: string | undefined
  loading: boolean
  updatedAt: Date | undefined
  reload: () => void
}

/**
 * Reads `path` from the admin API, again whenever `path` changes, and every `refreshMs` while
 * `refreshMs` is set (the caller sets it only while work is in flight).
 */
export function useResource<T>(path: string | undefined, refreshMs?: number): Resource<T> {
  const [state, setState] = useState<Omit<Resource<T>, 'reload'>>({
    data: undefined,
    error: undefined,
    loading: true,
    updatedAt: undefined,
  })
  const [tick, setTick] = useState(0)
  const reload = useCallback(() => setTick((n) => n + 1), [])
  useEffect(() => {
    if (path === undefined) return
    let cancelled = false
    setState((s) => ({ ...s, loading: true }))
    api<T>(path).then(
      (data) => !cancelled && setState({ data, error: undefined, loading: false, updatedAt: new Date() }),
      (error: unknown) =>
        !cancelled && setState((s) => ({ ...s, error: error instanceof ApiError ? error.message : String(error), loading: false })),
    )
    return () => {
      cancelled = true
    }
  }, [path, tick])
  useEffect(() => {
    if (!refreshMs) return
    const timer = setInterval(reload, refreshMs)
    return () => clearInterval(timer)
  }, [refreshMs, reload])
  return { ...state, reload }
}

/** Shows loading, error and empty states the same way on every page, else the content. */
export function Loaded<T>(props: { resource: Resource<T>; what: string; children: (data: T) => ComponentChildren }) {
  const { resource, what } = props
  if (resource.data === undefined) {
    if (resource.error) return <ErrorBox message={`Could not load ${what}: ${resource.error}`} retry={resource.reload} />
    return (
      <p class="muted" role="status">
        Loading {what}…
      </p>
    )
  }
  return (
    <>
      {resource.error && (
        <ErrorBox
          message={`Could not refresh ${what}: ${resource.error}. The figures below are from ${clock(resource.updatedAt!)}.`}
          retry={resource.reload}
        />
      )}
      {props.children(resource.data)}
    </>
  )
}

/** An error with a way forward. */
export function ErrorBox(props: { message: string; retry?: () => void }) {
  return (
    <div class="error" role="alert">
      <p>{props.message}</p>
      {props.retry && (
        <button type="button" onClick={props.retry}>
          Try again
        </button>
      )}
    </div>
  )
}

/** A delivery status or scan outcome as a labelled badge (the word is there for screen readers). */
export function Badge(props: { value: string }) {
  return <span class={`badge badge-${props.value}`}>{props.value}</span>
}

/**
 * A modal confirmation on the native <dialog>: focus moves into it, Escape cancels, and focus
 * returns to the button that opened it.
 */
export function useConfirm(): [ComponentChildren, (question: string, detail: string, action: string) => Promise<boolean>] {
  const ref = useRef<HTMLDialogElement>(null)
  const [text, setText] = useState({ question: '', detail: '', action: '' })
  const resolver = useRef<((ok: boolean) => void) | undefined>(undefined)
  const ask = useCallback((question: string, detail: string, action: string) => {
    setText({ question, detail, action })
    return new Promise<boolean>((resolve) => {
      resolver.current = resolve
      // Rendered with the new text first, then shown.
      requestAnimationFrame(() => ref.current?.showModal())
    })
  }, [])
  const close = (ok: boolean) => {
    ref.current?.close()
    resolver.current?.(ok)
    resolver.current = undefined
  }
  const dialog = (
    <dialog ref={ref} aria-labelledby="confirm-title" aria-describedby="confirm-detail" onCancel={() => close(false)}>
      <h2 id="confirm-title">{text.question}</h2>
      <p id="confirm-detail">{text.detail}</p>
      <div class="actions">
        <button type="button" onClick={() => close(false)}>
          Cancel
        </button>
        <button type="button" class="primary" onClick={() => close(true)}>
          {text.action}
        </button>
      </div>
    </dialog>
  )
  return [dialog, ask]
}

/** A polite live region: screen readers hear refreshes without losing their place. */
export function LiveStatus(props: { children: ComponentChildren }) {
  return (
    <p class="muted live" role="status" aria-live="polite">
      {props.children}
    </p>
  )
}

/** Sets the document title per page, so tabs and history read well. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Postee console`
  }, [title])
}
