// Times are shown in the browser's own time zone and locale.
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' })
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' })

/** A timestamp from the API, in the browser's zone. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—'
  return dateTime.format(new Date(iso))
}

/** The time of day only, for "updated at". */
export function clock(date: Date): string {
  return timeOnly.format(date)
}

/** A duration in milliseconds, in the largest unit that reads well. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`
  return `${(ms / 3_600_000).toFixed(1)} h`
}

/** How long ago, from now. */
export function ago(iso: string | null | undefined): string {
  if (!iso) return '—'
  return `${duration(Date.now() - new Date(iso).getTime())} ago`
}

/** Severities in the order the API and messages use. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'negligible'] as const

/**
 * Text from the API as it may be shown: bidirectional embedding, override and isolate controls
 * (U+202A–U+202E, U+2066–U+2069) removed and line and paragraph separators made spaces, as in
 * every message Postee renders, so a scanned image named `evil<U+202E>gnp.exe` cannot read as
 * `evilexe.png`. Newlines and tabs stay: error texts and message previews keep their lines.
 */
export function displaySafe(text: string): string {
  return text.replace(/[\u202a-\u202e\u2066-\u2069]/g, '').replace(/[\u2028\u2029]/g, ' ')
}

/** "1 delivery", "3 deliveries": a count with its noun in the right number. */
export function counted(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`
}
