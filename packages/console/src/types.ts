// The shapes of the admin API answers the console reads (docs/http-api.md).

export type DeliveryStatus = 'pending' | 'buffered' | 'sending' | 'sent' | 'failed' | 'dead'
export type Outcome = 'new' | 'changed' | 'unchanged'

export interface Delivery {
  id: string
  scan: string | null
  batch: string | null
  output: string
  kind: string
  status: DeliveryStatus
  attempts: number
  lastError: string | null
  externalId: string | null
  createdAt: string
  updatedAt: string
}

export interface OutputSummary {
  output: string
  kind: string | null
  enabled: boolean
  sent: number
  failed: number
  dead: number
  inFlight: number
  queue: { waiting: number; delayed: number; active: number } | null
  oldestWaitingAt: string | null
  lastError: { message: string; at: string } | null
}

export interface Overview {
  since: string
  until: string
  scans: Record<Outcome | 'total', number>
  deliveries: Record<DeliveryStatus | 'total', number>
  outputs: OutputSummary[]
  hourly: { hour: string; scans: number; deliveries: number; sent: number; latencyMs: number | null }[]
}

export interface ScanRow {
  id: string
  source: string
  registry: string
  image: string
  digest: string
  outcome: Outcome
  receivedAt: string
  added: number | null
  fixed: number | null
  deliveries: Partial<Record<DeliveryStatus, number>>
}

export interface ScanPage {
  total: number
  page: number
  pageSize: number
  scans: ScanRow[]
}

export interface Finding {
  vulnerability: string
  severity: string
  resource: string
  resourceVersion: string
  fixVersion: string
  title: string | null
  link: string | null
}

export interface IntegrationDecision {
  name: string
  kind: string
  send: boolean
  held?: boolean
  key: string | null
  reason: string | null
  deliveries: string[]
  preview: { format: string; body: string } | null
  previewNote: string | null
}

export interface ScanDetail {
  scan: {
    id: string
    source: string
    registry: string
    image: string
    digest: string
    outcome: Outcome
    receivedAt: string
    base: { digest: string; scanId: string | null } | null
  }
  counts: Record<string, number> | null
  findings: Finding[]
  parseError: string | null
  diff: { added: Finding[]; fixed: Finding[] } | null
  deliveries: Delivery[]
  integrations: IntegrationDecision[]
}

export interface ConfigView {
  config: unknown
  notices: string[]
  fileProblems: string[] | null
}

export type FindingState = 'open' | 'fixed'

export interface FindingRow {
  registry: string
  image: string
  resource: string
  resourceVersion: string
  vulnerability: string
  severity: string
  fixVersion: string
  state: FindingState
  firstSeen: string
  lastSeen: string
  fixedAt: string | null
  timesReopened: number
}

export interface FindingPage {
  findings: FindingRow[]
  next?: string
}
