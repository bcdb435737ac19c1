import type { Secret } from '../secret.js'
import type { Severity } from '../scan/model.js'

/** The seven integration types of the seed, spelled as cfg.yaml spells them. */
export const OUTPUT_KINDS = ['jira', 'email', 'slack', 'teams', 'webhook', 'splunk', 'serviceNow'] as const

/** One integration type. */
export type OutputKind = (typeof OUTPUT_KINDS)[number]

/** The policy keys of one integration, parsed (see docs/configuration.md, policies). */
export interface PolicySettings {
  /** Policy-Min-Vulnerability; undefined lets every scan pass. */
  readonly minVulnerability: Severity | undefined
  /** Policy-Registry: when non-empty, one must match. */
  readonly registries: readonly string[]
  /** Policy-Image-Name: when non-empty, one must match. */
  readonly imageNames: readonly string[]
  /** Ignore-Registry: a match skips. */
  readonly ignoreRegistries: readonly string[]
  /** Ignore-Image-Name: a match skips. */
  readonly ignoreImageNames: readonly string[]
  /** Policy-Only-Fix-Available. */
  readonly onlyFixAvailable: boolean
  /** Policy-Non-Compliant. */
  readonly nonCompliant: boolean
  /** Policy-Show-All: unchanged rescans are sent too. */
  readonly showAll: boolean
}

/** Aggregate-Issues-Number and Aggregate-Issues-Timeout; both undefined means no aggregation. */
export interface AggregationSettings {
  /** Flush when this many are held (Aggregate-Issues-Number > 1). */
  readonly issuesNumber: number | undefined
  /** Flush when the window opened by the first held delivery ends. */
  readonly timeoutMs: number | undefined
}

/** A rate limit of `max` deliveries per `perMs` milliseconds. */
export interface RateLimit {
  readonly max: number
  readonly perMs: number
}

/** How the dispatcher delivers to one integration (our additions to the seed). */
export interface DeliverySettings {
  /** Deliveries in flight at once per dispatcher process (`concurrency`). */
  readonly concurrency: number
  /** Total attempts before a delivery is dead (`retries`). */
  readonly attempts: number
  /** First retry delay; doubled each attempt, with jitter (`backoff`). */
  readonly backoffBaseMs: number
  /** Largest retry delay (`backoff-max`). */
  readonly backoffCapMs: number
  /** One attempt is abandoned after this long (`timeout`). */
  readonly timeoutMs: number
  /** `rate-limit`, e.g. `1/s`; undefined means unlimited. */
  readonly rateLimit: RateLimit | undefined
}

/** What every integration has, whatever its type. */
export interface IntegrationBase {
  readonly name: string
  readonly enabled: boolean
  readonly policy: PolicySettings
  readonly aggregation: AggregationSettings
  readonly delivery: DeliverySettings
}

/** A value of a Jira custom field from `unknowns`, with the type hint of the seed's suffix. */
export interface JiraUnknownField {
  /** The field's display name, suffix removed. */
  readonly name: string
  /** The hint from the key's suffix, used when Jira's field metadata is unavailable. */
  readonly hint: 'text' | 'number' | 'multi-value' | 'multi-line-text' | 'date-time' | 'url'
  readonly value: string
}

/** A jira integration. */
export interface JiraIntegration extends IntegrationBase {
  readonly kind: 'jira'
  readonly url: string
  readonly user: string | undefined
  /** API token (with user: Basic auth). */
  readonly password: Secret | undefined
  /** Personal access token (Bearer auth), our addition `token`. */
  readonly token: Secret | undefined
  readonly projectKey: string
  readonly board: string | undefined
  readonly priority: string
  readonly assignee: string | undefined
  readonly issueType: string
  readonly labels: readonly string[]
  readonly sprint: string | undefined
  readonly unknowns: readonly JiraUnknownField[]
  readonly tlsVerify: boolean
  /** REST API version: 3 (ADF, Jira Cloud) or 2 (wiki markup, Server/Data Center). */
  readonly apiVersion: 2 | 3
}

/** An email integration. */
export interface EmailIntegration extends IntegrationBase {
  readonly kind: 'email'
  readonly useMX: boolean
  readonly user: string | undefined
  readonly password: Secret | undefined
  readonly host: string | undefined
  readonly port: number
  /** Defaults to user. */
  readonly sender: string | undefined
  readonly recipients: readonly string[]
  readonly tlsVerify: boolean
  /** AUTH is sent only over TLS; without it the delivery fails permanently. */
  readonly requireTls: boolean
  /** The most `<%application_scope_owner%>` addresses taken from one scan. */
  readonly ownersMax: number
  /** Lower-cased domains owner addresses must be in; undefined allows any domain. */
  readonly ownersDomains: readonly string[] | undefined
}

/** A slack incoming webhook. */
export interface SlackIntegration extends IntegrationBase {
  readonly kind: 'slack'
  readonly url: Secret
  readonly tlsVerify: boolean
}

/** A Microsoft Teams incoming webhook. */
export interface TeamsIntegration extends IntegrationBase {
  readonly kind: 'teams'
  readonly url: Secret
  /** `adaptive` (Workflows) or `legacy` (Office 365 connector MessageCard). */
  readonly format: 'adaptive' | 'legacy'
  readonly tlsVerify: boolean
}

/** A generic webhook. */
export interface WebhookIntegration extends IntegrationBase {
  readonly kind: 'webhook'
  readonly url: Secret
  readonly tlsVerify: boolean
}

/** A Splunk HTTP Event Collector. */
export interface SplunkIntegration extends IntegrationBase {
  readonly kind: 'splunk'
  readonly url: string
  readonly token: Secret
  /** Largest event in bytes (`SizeLimit`, default 10,000). */
  readonly sizeLimit: number
  readonly index: string | undefined
  readonly source: string | undefined
  readonly sourcetype: string
  readonly tlsVerify: boolean
}

/** A ServiceNow table. */
export interface ServiceNowIntegration extends IntegrationBase {
  readonly kind: 'serviceNow'
  readonly user: string
  readonly password: Secret
  /** Base URL: `https://<instance>.service-now.com` for a bare name, else the URL given. */
  readonly instanceUrl: string
  /** Table to create records in (`board`, default `incident`). */
  readonly table: string
  readonly tlsVerify: boolean
}

/** Any integration. */
export type Integration =
  JiraIntegration | EmailIntegration | SlackIntegration | TeamsIntegration | WebhookIntegration | SplunkIntegration | ServiceNowIntegration

/** The `type: common` item: the global keys. */
export interface CommonSettings {
  /** AquaServer: console URL used for links to scan results. */
  readonly aquaServer: string | undefined
  /** Max_DB_Size in bytes; undefined means no size limit. */
  readonly maxDbSizeBytes: number | undefined
  /** Delete_Old_Data in days; undefined keeps everything. */
  readonly deleteOldDataDays: number | undefined
  /** DbVerifyInterval in hours (default 1). */
  readonly dbVerifyIntervalHours: number
  /** Ingest-Token: tokens accepted on ingest (several during a rotation). */
  readonly ingestTokens: readonly Secret[]
  /** Admin-Token: operators' tokens for /api, reload and the console (several during a rotation). */
  readonly adminTokens: readonly Secret[]
  /** Max-Body-Size in bytes (default 20 MB). */
  readonly maxBodyBytes: number
  /** Ingest-Hmac-Secret: keys that sign scan bodies (several during a rotation). */
  readonly ingestHmacSecrets: readonly Secret[]
}

/** A validated cfg.yaml. */
export interface Config {
  readonly common: CommonSettings
  /** Every integration, enabled or not, in file order. */
  readonly integrations: readonly Integration[]
  /** Things worth a warning at start that are not errors (an item off for lack of `enable`). */
  readonly notices: readonly string[]
}

/** One thing wrong with a config, with where it is and how to fix it. */
export interface ConfigProblem {
  /** The integration's name, or its position when it has none (`item 3`). */
  readonly item: string
  /** The key as written in the file; empty for problems of the whole item. */
  readonly key: string
  readonly message: string
  /** The 1-based line of cfg.yaml the problem is on (the key's line, else the item's); absent for the environment. */
  readonly line?: number
}
