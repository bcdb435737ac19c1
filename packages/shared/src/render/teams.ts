import { TARGET_LIMITS, fitBatch, utf8Bytes } from './limits.js'
import type { Report } from './report.js'
import { adaptiveMessageOf } from './teams-adaptive.js'
import type { TeamsAdaptiveMessage } from './teams-adaptive.js'
import { messageCardOf } from './teams-legacy.js'
import type { TeamsMessageCard } from './teams-legacy.js'

/** Which Teams webhook format to write: Workflows (Adaptive Card) or the legacy connector card. */
export type TeamsFormat = 'adaptive' | 'legacy'

/** Settings for Teams messages. */
export interface TeamsOptions {
  readonly format: TeamsFormat
  /** The most UTF-8 bytes of the JSON body; Teams' own limit, 28,000, by default. */
  readonly maxBytes?: number
}

/** Renders reports as a Teams Workflows Adaptive Card message, within 28,000 bytes of JSON. */
export function renderTeams(
  reports: readonly Report[],
  options: { readonly format: 'adaptive'; readonly maxBytes?: number },
): TeamsAdaptiveMessage
/** Renders reports as a legacy Office 365 connector card, within 28,000 bytes of JSON. */
export function renderTeams(
  reports: readonly Report[],
  options: { readonly format: 'legacy'; readonly maxBytes?: number },
): TeamsMessageCard
/** Renders reports for Teams in the configured format, within 28,000 bytes of JSON. */
export function renderTeams(reports: readonly Report[], options: TeamsOptions): TeamsAdaptiveMessage | TeamsMessageCard
export function renderTeams(reports: readonly Report[], options: TeamsOptions): TeamsAdaptiveMessage | TeamsMessageCard {
  const maxBytes = options.maxBytes ?? TARGET_LIMITS.teamsBytes
  const fits = (body: unknown): boolean => utf8Bytes(JSON.stringify(body)) <= maxBytes
  return options.format === 'adaptive' ? fitBatch(reports, adaptiveMessageOf, fits) : fitBatch(reports, messageCardOf, fits)
}
