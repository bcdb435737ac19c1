import { Secret } from '../secret.js'
import {
  CONFIG_DEFAULTS,
  DELIVERY_KEYS,
  EMAIL_KEYS,
  JIRA_KEYS,
  SERVICENOW_KEYS,
  SPLUNK_KEYS,
  TEAMS_KEYS,
  UNKNOWNS_SUFFIXES,
  WEBHOOK_URL_KEYS,
} from './keys.js'
import { isHttpUrl } from './item-reader.js'
import type { ItemReader } from './item-reader.js'
import type {
  EmailIntegration,
  Integration,
  IntegrationBase,
  JiraIntegration,
  JiraUnknownField,
  OutputKind,
  ServiceNowIntegration,
  SplunkIntegration,
  TeamsIntegration,
} from './types.js'

const OWNER_PLACEHOLDER = '<%application_scope_owner%>'

function stripTrailingSlashes(url: string): string {
  return url.replace(/\/+$/, '')
}

function hostOf(url: string): string {
  return isHttpUrl(url) ? new URL(url).hostname.toLowerCase() : ''
}

function readJiraAuth(r: ItemReader): Pick<JiraIntegration, 'user' | 'password' | 'token'> {
  const user = r.text(JIRA_KEYS.user)
  const password = r.secret(JIRA_KEYS.password)
  const token = r.secret(JIRA_KEYS.token)
  if (token === undefined && (user === undefined || password === undefined)) {
    const fix = "set user and password (the user's API token) for Basic auth, or token (a personal access token) for Bearer auth"
    // Name the half that is missing so the fix points at the right line; a key that is present
    // but unusable (an unset $VAR) has its own problem already.
    if (user === undefined && password === undefined) {
      if (!r.has(JIRA_KEYS.user) && !r.has(JIRA_KEYS.password)) r.report(JIRA_KEYS.user, `missing credentials; ${fix}`, 'required')
    } else if (user === undefined && !r.has(JIRA_KEYS.user)) {
      r.report(JIRA_KEYS.user, `missing; ${fix}`, 'required')
    } else if (password === undefined && !r.has(JIRA_KEYS.password)) {
      r.report(JIRA_KEYS.password, `missing; ${fix}`, 'required')
    }
  }
  return { user, password, token }
}

function readUnknowns(r: ItemReader): JiraUnknownField[] {
  const mapping = r.mapping(JIRA_KEYS.unknowns)
  if (!mapping) return []
  const fields: JiraUnknownField[] = []
  for (const [written, raw] of Object.entries(mapping)) {
    const key = `${r.written(JIRA_KEYS.unknowns)} › ${written}`
    // A nested mapping or list has no place in one Jira field; the reader reports it as a shape problem.
    const value = r.nestedText(key, raw)
    if (value === undefined) continue
    const suffix = UNKNOWNS_SUFFIXES.find(([end]) => written.toLowerCase().endsWith(end) && written.length > end.length)
    const name = suffix ? written.slice(0, -suffix[0].length) : written
    fields.push({ name, hint: suffix ? suffix[1] : 'text', value })
  }
  return fields
}

function readJira(r: ItemReader, base: IntegrationBase): JiraIntegration {
  const url = stripTrailingSlashes(r.requiredUrl(JIRA_KEYS.url, 'write the Jira base URL, e.g. https://acme.atlassian.net'))
  const apiVersion = r.int(JIRA_KEYS.apiVersion, hostOf(url).endsWith('.atlassian.net') ? 3 : 2, 2, 3)
  return {
    ...base,
    kind: 'jira',
    url,
    ...readJiraAuth(r),
    projectKey: r.requiredText(JIRA_KEYS.projectKey, 'write the key of the project to open issues in, e.g. VUL'),
    board: r.text(JIRA_KEYS.board),
    priority: r.text(JIRA_KEYS.priority) ?? CONFIG_DEFAULTS.jiraPriority,
    assignee: r.text(JIRA_KEYS.assignee),
    issueType: r.text(JIRA_KEYS.issueType) ?? CONFIG_DEFAULTS.jiraIssueType,
    labels: r.list(JIRA_KEYS.labels),
    sprint: r.text(JIRA_KEYS.sprint),
    unknowns: readUnknowns(r),
    tlsVerify: r.bool(DELIVERY_KEYS.tlsVerify, true),
    apiVersion: apiVersion === 3 ? 3 : 2,
  }
}

function readRecipients(r: ItemReader): readonly string[] {
  const recipients = r.list(EMAIL_KEYS.recipients)
  if (recipients.length === 0 && !r.has(EMAIL_KEYS.recipients)) {
    r.report(
      EMAIL_KEYS.recipients,
      `missing; list the addresses to send to, e.g. ["ops@example.com"] or ["${OWNER_PLACEHOLDER}"]`,
      'required',
    )
  } else if (recipients.length === 0) {
    r.report(EMAIL_KEYS.recipients, 'is empty; list at least one address', 'required')
  }
  for (const recipient of recipients) {
    if (recipient !== OWNER_PLACEHOLDER && !recipient.includes('@')) {
      r.report(EMAIL_KEYS.recipients, `${JSON.stringify(recipient)} is not an email address; write name@domain or ${OWNER_PLACEHOLDER}`)
    }
  }
  return recipients
}

// `name@domain`, or `Display Name <name@domain>` as mail headers write it.
const SENDER_ADDRESS = /^(?:[^\s@<>]+@[^\s@<>]+|[^<>]*<[^\s@<>]+@[^\s@<>]+>)$/

function readSender(r: ItemReader, user: string | undefined): string | undefined {
  const sender = r.text(EMAIL_KEYS.sender)?.trim()
  if (sender !== undefined && !SENDER_ADDRESS.test(sender)) {
    r.report(EMAIL_KEYS.sender, `${JSON.stringify(sender)} is not an email address; write name@domain or "Display Name <name@domain>"`)
  }
  return sender ?? user
}

// Owner addresses come from scan payloads: the fence is a list of exact domains, so a typo
// such as `@corp` or `*.corp.com` is reported instead of silently matching nothing.
function readOwnersDomains(r: ItemReader): readonly string[] | undefined {
  if (!r.has(EMAIL_KEYS.ownersDomains)) return undefined
  const domains = r.list(EMAIL_KEYS.ownersDomains).map((domain) => domain.replace(/\.$/, '').toLowerCase())
  if (domains.length === 0)
    r.report(
      EMAIL_KEYS.ownersDomains,
      'is empty; list the domains owner addresses may be in, e.g. ["corp.example.com"], or remove the key to allow any',
    )
  for (const domain of domains) {
    if (!/^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?)*$/u.test(domain)) {
      r.report(
        EMAIL_KEYS.ownersDomains,
        `${JSON.stringify(domain)} is not a domain name; write the exact domain after the @, e.g. corp.example.com (no @, no wildcard)`,
      )
    }
  }
  return domains
}

function readEmail(r: ItemReader, base: IntegrationBase): EmailIntegration {
  const useMX = r.bool(EMAIL_KEYS.useMX, false)
  const user = r.text(EMAIL_KEYS.user)
  const password = r.secret(EMAIL_KEYS.password)
  const host = useMX
    ? r.text(EMAIL_KEYS.host)
    : r.requiredText(EMAIL_KEYS.host, "write the SMTP server host name, or set UseMX: true to deliver to the recipients' MX hosts")
  const authenticates = user !== undefined && password !== undefined && !password.isEmpty()
  return {
    ...base,
    kind: 'email',
    useMX,
    user,
    password,
    requireTls: r.bool(EMAIL_KEYS.requireTls, authenticates),
    ownersMax: r.int(EMAIL_KEYS.ownersMax, CONFIG_DEFAULTS.emailOwnersMax, 0, 1000),
    ownersDomains: readOwnersDomains(r),
    host: host === '' ? undefined : host,
    port: r.int(EMAIL_KEYS.port, CONFIG_DEFAULTS.emailPort, 1, 65535),
    sender: readSender(r, user),
    recipients: readRecipients(r),
    tlsVerify: r.bool(DELIVERY_KEYS.tlsVerify, true),
  }
}

function readWebhookUrl(r: ItemReader, what: string): string {
  return r.requiredUrl(WEBHOOK_URL_KEYS.url, `write the ${what} URL (or $VAR to read it from the environment)`)
}

function readTeams(r: ItemReader, base: IntegrationBase): TeamsIntegration {
  const url = readWebhookUrl(r, 'Teams incoming-webhook or Workflows')
  const host = hostOf(url)
  const legacy = host.endsWith('webhook.office.com') || host.endsWith('outlook.office.com')
  const format = r.choice(TEAMS_KEYS.format, ['adaptive', 'legacy'] as const) ?? (legacy ? 'legacy' : 'adaptive')
  return { ...base, kind: 'teams', url: new Secret(url), format, tlsVerify: r.bool(DELIVERY_KEYS.tlsVerify, true) }
}

function readSplunk(r: ItemReader, base: IntegrationBase): SplunkIntegration {
  return {
    ...base,
    kind: 'splunk',
    url: stripTrailingSlashes(r.requiredUrl(SPLUNK_KEYS.url, 'write the HTTP Event Collector URL, e.g. https://splunk.example.com:8088')),
    token: r.requiredSecret(SPLUNK_KEYS.token, 'write the HTTP Event Collector token (or $VAR to read it from the environment)'),
    sizeLimit: r.int(SPLUNK_KEYS.sizeLimit, CONFIG_DEFAULTS.splunkSizeLimit, 1),
    index: r.text(SPLUNK_KEYS.index),
    source: r.text(SPLUNK_KEYS.source),
    sourcetype: r.text(SPLUNK_KEYS.sourcetype) ?? CONFIG_DEFAULTS.splunkSourcetype,
    tlsVerify: r.bool(DELIVERY_KEYS.tlsVerify, true),
  }
}

// A bare name is the seed's form; a host name or full URL lets tests and on-premise setups point elsewhere.
function readInstanceUrl(r: ItemReader): string {
  const instance = r.requiredText(
    SERVICENOW_KEYS.instance,
    'write the instance name (acme for https://acme.service-now.com) or its full URL',
  )
  if (instance === '') return ''
  if (/^[a-z0-9][a-z0-9-]*$/i.test(instance)) return `https://${instance.toLowerCase()}.service-now.com`
  if (/^[a-z0-9.-]+(:\d+)?$/i.test(instance)) return `https://${instance.toLowerCase()}`
  if (isHttpUrl(instance)) return stripTrailingSlashes(instance)
  r.report(
    SERVICENOW_KEYS.instance,
    `${JSON.stringify(instance)} is neither an instance name nor an http(s) URL; write e.g. acme or https://acme.service-now.com`,
  )
  return ''
}

function readServiceNow(r: ItemReader, base: IntegrationBase): ServiceNowIntegration {
  return {
    ...base,
    kind: 'serviceNow',
    user: r.requiredText(SERVICENOW_KEYS.user, 'write the ServiceNow user name'),
    password: r.requiredSecret(SERVICENOW_KEYS.password, "write the user's password or API key (or $VAR to read it from the environment)"),
    instanceUrl: readInstanceUrl(r),
    table: r.text(SERVICENOW_KEYS.board) ?? CONFIG_DEFAULTS.serviceNowTable,
    tlsVerify: r.bool(DELIVERY_KEYS.tlsVerify, true),
  }
}

/** Reads the type-specific keys of one integration onto its already-read common part. */
export function readIntegration(kind: OutputKind, r: ItemReader, base: IntegrationBase): Integration {
  const tlsVerify = (): boolean => r.bool(DELIVERY_KEYS.tlsVerify, true)
  switch (kind) {
    case 'jira':
      return readJira(r, base)
    case 'email':
      return readEmail(r, base)
    case 'slack':
      return { ...base, kind, url: new Secret(readWebhookUrl(r, 'Slack incoming-webhook')), tlsVerify: tlsVerify() }
    case 'teams':
      return readTeams(r, base)
    case 'webhook':
      return { ...base, kind, url: new Secret(readWebhookUrl(r, 'webhook')), tlsVerify: tlsVerify() }
    case 'splunk':
      return readSplunk(r, base)
    case 'serviceNow':
      return readServiceNow(r, base)
  }
}
