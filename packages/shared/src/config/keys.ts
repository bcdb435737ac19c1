/**
 * The key table of cfg.yaml: every key each item type accepts, spelled as the seed README spells
 * it (matching is case-insensitive), and the defaults of our additions. Seed keys keep the
 * seed's meaning; every addition is marked "Addition" and never changes what a seed key does.
 */
import { OUTPUT_KINDS } from './types.js'
import type { DeliverySettings, JiraUnknownField, OutputKind } from './types.js'

/** Every value `type` may take: the seven outputs and the `common` item of global keys. */
export const ITEM_TYPES = [...OUTPUT_KINDS, 'common'] as const

/** One item type. */
export type ItemType = (typeof ITEM_TYPES)[number]

/** Keys of every item. An integration without `enable: true` is off, as in Postee. */
export const ITEM_KEYS = { name: 'name', type: 'type', enable: 'enable' } as const

/** Seed policy keys, accepted by every output type (docs/configuration.md, policies). */
export const POLICY_KEYS = {
  /** Severity at or above which a scan passes: critical, high, medium, low or negligible. */
  minVulnerability: 'Policy-Min-Vulnerability',
  /** Registries of which one must match (list or comma-separated). */
  registry: 'Policy-Registry',
  /** Image names of which one must match (list or comma-separated; `*` wildcards). */
  imageName: 'Policy-Image-Name',
  /** Only scans with at least one fixable vulnerability pass. */
  onlyFixAvailable: 'Policy-Only-Fix-Available',
  /** Only non-compliant (disallowed) images pass. */
  nonCompliant: 'Policy-Non-Compliant',
  /** Unchanged rescans are sent too. */
  showAll: 'Policy-Show-All',
  /** Registries that are skipped. */
  ignoreRegistry: 'Ignore-Registry',
  /** Image names that are skipped. */
  ignoreImageName: 'Ignore-Image-Name',
} as const

/** Seed aggregation keys, accepted by every output type. */
export const AGGREGATION_KEYS = {
  /** Hold messages until this many are pending (whole number ≥ 1; 1 means no count aggregation). */
  issuesNumber: 'Aggregate-Issues-Number',
  /** Send what is pending when the window opened by the first held message ends (a duration). */
  issuesTimeout: 'Aggregate-Issues-Timeout',
} as const

/** Additions: how the dispatcher delivers, accepted by every output type (defaults in DELIVERY_DEFAULTS). */
export const DELIVERY_KEYS = {
  /** Addition: deliveries in flight at once per dispatcher process (whole number ≥ 1). */
  concurrency: 'concurrency',
  /** Addition: total attempts, the first included, before a delivery is dead (whole number ≥ 1). */
  retries: 'retries',
  /** Addition: delay before the first retry, doubled on each later one (a duration). */
  backoff: 'backoff',
  /** Addition: the largest retry delay (a duration, not below `backoff`). */
  backoffMax: 'backoff-max',
  /** Addition: one attempt is abandoned after this long (a duration > 0). */
  timeout: 'timeout',
  /** Addition: `N/s`, `N/m`, `N/h`, or `off` for unlimited. */
  rateLimit: 'rate-limit',
  /** Addition: verify the target's TLS certificate (default true; false only for lab setups). */
  tlsVerify: 'tls_verify',
} as const

/** Jira keys (seed, plus the additions `token` and `api_version`). */
export const JIRA_KEYS = {
  url: 'url',
  user: 'user',
  /** The user's API token (Basic auth with `user`); a secret. */
  password: 'password',
  /** Addition: a personal access token for Bearer auth, instead of user + password; a secret. */
  token: 'token',
  projectKey: 'project_key',
  board: 'board',
  /** Default `High`, as in Postee. */
  priority: 'priority',
  assignee: 'assignee',
  /** Default `Task`, as in Postee. */
  issueType: 'issuetype',
  labels: 'labels',
  sprint: 'sprint',
  /** Custom fields by display name; a seed suffix on the name gives the field's type hint. */
  unknowns: 'unknowns',
  /** Addition: REST API 2 or 3; default 3 when the url host ends with `.atlassian.net` (Cloud), else 2. */
  apiVersion: 'api_version',
} as const

/** Email keys (seed). `port` defaults to 25 whether or not UseMX is set; `sender` defaults to `user`. */
export const EMAIL_KEYS = {
  /** Deliver straight to each recipient domain's MX hosts; then `host` is not needed. */
  useMX: 'UseMX',
  user: 'user',
  password: 'password',
  host: 'host',
  port: 'port',
  sender: 'sender',
  recipients: 'recipients',
  /** Addition: AUTH only over TLS (STARTTLS or port 465); default true when user and password are set. */
  requireTls: 'require_tls',
  /** Addition: at most this many `<%application_scope_owner%>` addresses per scan (default 20); the rest are dropped with a warning. */
  ownersMax: 'owners_max',
  /** Addition: only owner addresses in these domains are used (exact domain, case-insensitive); unset allows any. */
  ownersDomains: 'owners_domains',
} as const

/** Keys of the three webhook-style outputs: the url carries the access key, so it is a secret. */
export const WEBHOOK_URL_KEYS = { url: 'url' } as const

/** Teams keys: the url plus the addition `format`. */
export const TEAMS_KEYS = {
  url: 'url',
  /** Addition: `adaptive` (Workflows) or `legacy` (connector MessageCard); default legacy for
   * `*.webhook.office.com` and `outlook.office.com` urls, which only take the legacy card. */
  format: 'format',
} as const

/** Splunk keys (seed `url`, `token`, `SizeLimit`; additions `index`, `source`, `sourcetype`). */
export const SPLUNK_KEYS = {
  url: 'url',
  token: 'token',
  /** Largest event in bytes; default 10,000. */
  sizeLimit: 'SizeLimit',
  /** Addition: HEC `index`; unset leaves it to the token's default. */
  index: 'index',
  /** Addition: HEC `source`. */
  source: 'source',
  /** Addition: HEC `sourcetype`; default `_json`. */
  sourcetype: 'sourcetype',
} as const

/** ServiceNow keys (seed). */
export const SERVICENOW_KEYS = {
  user: 'user',
  password: 'password',
  /** A bare instance name (`acme` → `https://acme.service-now.com`), a host name, or a full URL. */
  instance: 'instance',
  /** Table to create records in; default `incident`. */
  board: 'board',
} as const

/** Keys of the `type: common` item. */
export const COMMON_KEYS = {
  /** Aqua console URL, used for links to scan results. */
  aquaServer: 'AquaServer',
  /** Scan history size limit (a size; a bare number is MB, as in Postee; 0 means no limit). */
  maxDbSize: 'Max_DB_Size',
  /** Scan records last seen more than this many days ago are removed (0 keeps everything). */
  deleteOldData: 'Delete_Old_Data',
  /** Hours between retention checks (a number > 0; default 1). */
  dbVerifyInterval: 'DbVerifyInterval',
  /** Addition: tokens ingest accepts (a list or comma-separated; each may be `$VAR`); secrets. */
  ingestToken: 'Ingest-Token',
  /**
   * Addition: the operators' tokens for `/api/*`, reload and the console (a list or
   * comma-separated; each may be `$VAR`); secrets. Ingest tokens may only post scans.
   */
  adminToken: 'Admin-Token',
  /** Addition: largest scan body ingest accepts (a size; a bare number is MB; default 20MB). */
  maxBodySize: 'Max-Body-Size',
  /**
   * Addition: shared secrets for HMAC-SHA256 body signatures (`X-Postee-Signature: t=<unix
   * seconds>,v1=<hex>`), for senders that can sign; a list, each may be `$VAR`; secrets.
   */
  ingestHmacSecret: 'Ingest-Hmac-Secret',
} as const

const OUTPUT_COMMON = [
  ...Object.values(ITEM_KEYS),
  ...Object.values(POLICY_KEYS),
  ...Object.values(AGGREGATION_KEYS),
  ...Object.values(DELIVERY_KEYS),
]

/** Every key each item type accepts, canonical spelling. */
export const KNOWN_KEYS: Readonly<Record<ItemType, readonly string[]>> = {
  jira: [...OUTPUT_COMMON, ...Object.values(JIRA_KEYS)],
  email: [...OUTPUT_COMMON, ...Object.values(EMAIL_KEYS)],
  slack: [...OUTPUT_COMMON, ...Object.values(WEBHOOK_URL_KEYS)],
  teams: [...OUTPUT_COMMON, ...Object.values(TEAMS_KEYS)],
  webhook: [...OUTPUT_COMMON, ...Object.values(WEBHOOK_URL_KEYS)],
  splunk: [...OUTPUT_COMMON, ...Object.values(SPLUNK_KEYS)],
  serviceNow: [...OUTPUT_COMMON, ...Object.values(SERVICENOW_KEYS)],
  common: [...Object.values(ITEM_KEYS), ...Object.values(COMMON_KEYS)],
}

/** Keys whose values become Secrets per item type (lower-case), so no problem message ever echoes them. */
export const SECRET_KEYS: Readonly<Record<ItemType, readonly string[]>> = {
  jira: ['password', 'token'],
  email: ['password'],
  slack: ['url'],
  teams: ['url'],
  webhook: ['url'],
  splunk: ['token'],
  serviceNow: ['password'],
  common: ['ingest-token', 'ingest-hmac-secret', 'admin-token'],
}

const SECOND = 1000
const MINUTE = 60 * SECOND

function delivery(concurrency: number, rateLimit: DeliverySettings['rateLimit'], timeoutMs = 30 * SECOND): DeliverySettings {
  return { concurrency, attempts: 10, backoffBaseMs: SECOND, backoffCapMs: 10 * MINUTE, timeoutMs, rateLimit }
}

/**
 * Delivery defaults per output: 10 attempts, 1s first backoff capped at 10m, 30s per attempt
 * (email 60s, since SMTP handshakes to slow MX hosts take longer). Slack and Teams webhooks are
 * rate-limited by the target (about 1/s per Slack webhook, 4/s per Teams connector), so they get
 * one delivery at a time under that rate; ticketing systems get 2, bulk HTTP targets more.
 */
export const DELIVERY_DEFAULTS: Readonly<Record<OutputKind, DeliverySettings>> = {
  slack: delivery(1, { max: 1, perMs: SECOND }),
  teams: delivery(1, { max: 4, perMs: SECOND }),
  jira: delivery(2, undefined),
  serviceNow: delivery(2, undefined),
  email: delivery(2, undefined, 60 * SECOND),
  splunk: delivery(8, undefined),
  webhook: delivery(16, undefined),
}

/** Defaults of the seed keys and additions that are not delivery settings. */
export const CONFIG_DEFAULTS = {
  jiraPriority: 'High',
  jiraIssueType: 'Task',
  emailPort: 25,
  emailOwnersMax: 20,
  splunkSizeLimit: 10_000,
  splunkSourcetype: '_json',
  serviceNowTable: 'incident',
  dbVerifyIntervalHours: 1,
  maxBodyBytes: 20 * 1024 * 1024,
} as const

/**
 * The seed's `unknowns` suffixes and the hint each gives, longest first so `-field-url` wins over
 * `-url` (`mycustom-field-url` is the field `mycustom`); a name without a suffix is a text field.
 */
export const UNKNOWNS_SUFFIXES: readonly (readonly [string, JiraUnknownField['hint']])[] = [
  ['-multiple-line-text-field', 'multi-line-text'],
  ['-date-time-picker', 'date-time'],
  ['-multiple-value', 'multi-value'],
  ['-numeric-field', 'number'],
  ['-field-url', 'url'],
  ['-url', 'url'],
]
