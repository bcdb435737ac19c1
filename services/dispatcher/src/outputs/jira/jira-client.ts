import { DeliveryError, Secret, type DeliveryContext, type JiraIntegration } from '@postee/shared'
import { callTarget } from '../http.js'

/**
 * The one door to Jira: authentication, JSON in and out, and Jira's error bodies turned into
 * readable DeliveryError messages. Every call goes through `callTarget`, so the dispatcher's one
 * classifier decides what is retried.
 */
export interface JiraClient {
  /** The REST API version of the configured `api_version`: 2 (wiki markup) or 3 (ADF). */
  readonly apiVersion: 2 | 3
  /**
   * Jira Cloud: user references are `accountId`s and search is `/search/jql`. The v3 API exists
   * only on Cloud, so `api_version: 3` means Cloud; so does an `*.atlassian.net` host with v2.
   */
  readonly cloud: boolean
  /** `/rest/api/<version><path>`. */
  api(path: string): string
  get<T>(ctx: DeliveryContext, path: string, query?: Readonly<Record<string, string | number>>): Promise<T>
  post<T>(ctx: DeliveryContext, path: string, body: unknown): Promise<T>
}

/** Builds the client of one Jira integration: Bearer for a personal access token, else Basic. */
export function createJiraClient(integration: JiraIntegration): JiraClient {
  const { authorization, secrets } = credentials(integration)
  const cloud = integration.apiVersion === 3 || isAtlassianNet(integration.url)
  const call = async <T>(ctx: DeliveryContext, method: 'GET' | 'POST', url: string, body?: unknown): Promise<T> => {
    const response = await callTarget(ctx, {
      method,
      url,
      headers: {
        authorization,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      tlsVerify: integration.tlsVerify,
      secrets,
      describeError: jiraErrorDetail,
    })
    return parseJson<T>(response.body, url, integration.url)
  }
  return {
    apiVersion: integration.apiVersion,
    cloud,
    api: (path) => `/rest/api/${integration.apiVersion}${path}`,
    get: (ctx, path, query) => call(ctx, 'GET', urlOf(integration.url, path, query)),
    post: (ctx, path, body) => call(ctx, 'POST', urlOf(integration.url, path), body),
  }
}

// Basic auth is `base64(user:api token)` (Cloud) or `base64(user:password)` (Data Center); a
// personal access token is sent as `Bearer` (Data Center 8.14+). The encoded header is a secret
// too: a proxy that echoes request headers must not leak the decodable credentials.
// https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/
// https://confluence.atlassian.com/enterprise/using-personal-access-tokens-1026032365.html
function credentials(integration: JiraIntegration): { authorization: string; secrets: Secret[] } {
  if (integration.token && !integration.token.isEmpty()) {
    return { authorization: `Bearer ${integration.token.reveal()}`, secrets: [integration.token] }
  }
  const encoded = Buffer.from(`${integration.user ?? ''}:${integration.password?.reveal() ?? ''}`, 'utf8').toString('base64')
  const secrets = [new Secret(encoded), ...(integration.password ? [integration.password] : [])]
  return { authorization: `Basic ${encoded}`, secrets }
}

function isAtlassianNet(url: string): boolean {
  try {
    return new URL(url).hostname.toLowerCase().endsWith('.atlassian.net')
  } catch {
    return false
  }
}

function urlOf(base: string, path: string, query?: Readonly<Record<string, string | number>>): string {
  const search = query ? new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString() : ''
  return `${base}${path}${search ? `?${search}` : ''}`
}

/**
 * Jira's error body is `{ errorMessages: string[], errors: { field: message } }`; the field map
 * names what to fix, so it becomes `priority: Priority name 'Urgent' is not valid`. Any other body
 * (a proxy's HTML page, plain text) is kept as it is.
 */
export function jiraErrorDetail(body: string): string {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return body.slice(0, 2_000)
  }
  if (typeof parsed !== 'object' || parsed === null) return body.slice(0, 2_000)
  const { errorMessages, errors } = parsed as { errorMessages?: unknown; errors?: unknown }
  const parts = [
    ...(Array.isArray(errorMessages) ? errorMessages.map(String) : []),
    ...(typeof errors === 'object' && errors !== null
      ? Object.entries(errors).map(([field, message]) => `${field}: ${String(message)}`)
      : []),
  ]
  return parts.length > 0 ? parts.join('; ') : body.slice(0, 2_000)
}

function parseJson<T>(body: string, url: string, base: string): T {
  try {
    return (body.length === 0 ? {} : JSON.parse(body)) as T
  } catch (error) {
    // A 2xx that is not JSON is a login page or a proxy in front of Jira, not Jira's API.
    const path = url.slice(base.length).split('?')[0]
    throw new DeliveryError(
      `Jira answered ${path} with a body that is not JSON; check that url is the Jira base URL (no /rest/... path) and that no SSO proxy intercepts API calls`,
      'client-error',
      false,
      undefined,
      { cause: error },
    )
  }
}
