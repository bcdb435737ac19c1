import { displaySafe } from './format.js'

// The admin token lives in this module's memory only: never in a URL, a cookie or Web Storage,
// so a reload or a new tab asks for it again and nothing on disk can leak it.
let token: string | undefined
const signedOutListeners = new Set<(reason: string) => void>()

/** Thrown for any answer other than 2xx, with the API's own error text when it gave one. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message)
  }
}

/** Keeps the token for the next requests. */
export function signIn(value: string): void {
  token = value
}

/** Forgets the token. */
export function signOut(reason = ''): void {
  token = undefined
  for (const listener of signedOutListeners) listener(reason)
}

/** Called when the token is dropped (sign out, or the API refused it). */
export function onSignedOut(listener: (reason: string) => void): () => void {
  signedOutListeners.add(listener)
  return () => signedOutListeners.delete(listener)
}

/** Checks a token against the API without keeping it: undefined when accepted, else the API's reason. */
export async function checkToken(value: string): Promise<string | undefined> {
  const response = await fetch('/api/console/session', {
    headers: { authorization: `Bearer ${value}` },
    credentials: 'omit',
    cache: 'no-store',
  })
  if (response.status === 401 || response.status === 403) return await errorText(response)
  if (!response.ok) throw new ApiError(await errorText(response), response.status)
  return undefined
}

async function errorText(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: string }
    if (body.error) return body.error
  } catch {
    // not JSON
  }
  return `the server answered HTTP ${response.status}`
}

/** Calls the admin API with the token; a refused token signs out. */
export async function api<T>(path: string, init: { method?: 'GET' | 'POST'; body?: unknown } = {}): Promise<T> {
  if (token === undefined) throw new ApiError('not signed in', 401)
  let response: Response
  try {
    response = await fetch(`/api${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${token}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: init.body === undefined ? null : JSON.stringify(init.body),
      credentials: 'omit',
      cache: 'no-store',
    })
  } catch {
    throw new ApiError('ingest did not answer: check that it is running and reachable, then try again', 0)
  }
  if (response.status === 401 || response.status === 403) {
    signOut('That token was refused. Sign in again with a valid admin token.')
    throw new ApiError('That token was refused', response.status)
  }
  if (!response.ok) throw new ApiError(await errorText(response), response.status)
  // Every string the console shows comes from here, and most of it from scan bodies: the
  // messages' sanitising rule applies (no bidirectional overrides, no line separators).
  return JSON.parse(await response.text(), (_key, value: unknown) => (typeof value === 'string' ? displaySafe(value) : value)) as T
}
