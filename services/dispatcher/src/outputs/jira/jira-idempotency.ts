import { createHash } from 'node:crypto'
import type { DeliveryContext } from '@postee/shared'
import type { JiraClient } from './jira-client.js'

/**
 * The label every issue of a batch carries: `postee-` and the first 16 hex digits of the SHA-256
 * of the batch key (the delivery or batch id, stable across retries and replays). Jira labels
 * cannot hold spaces and are searchable with JQL, and 64 bits keep two batches from ever sharing
 * one. The same idea as Alertmanager's `ALERT{<group key hash>}` label.
 */
export function idempotencyLabel(batchKey: string): string {
  return `postee-${createHash('sha256').update(batchKey, 'utf8').digest('hex').slice(0, 16)}`
}

/**
 * The key of the issue already created for this label in the project, if any, so a retry after a
 * lost answer or a replay returns it instead of opening a duplicate.
 *
 * Data Center: `POST /rest/api/2/search`. Cloud removed that endpoint (CHANGE-2046, 2025) for
 * `POST /rest/api/{2|3}/search/jql`, which returns only ids unless `fields` are asked for.
 * Jira's search index lags a create by a moment, so two sends of one batch a split second apart
 * could both miss. The dispatcher runs a delivery's attempts one after another (job id = delivery
 * id) with a backoff between them, which gives the index that moment.
 * https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-post
 * https://developer.atlassian.com/changelog/#CHANGE-2046
 * https://developer.atlassian.com/server/jira/platform/rest/v10005/api-group-search/
 */
export async function findIssueByLabel(
  ctx: DeliveryContext,
  client: JiraClient,
  projectKey: string,
  label: string,
): Promise<string | undefined> {
  const jql = `project = ${jqlString(projectKey)} AND labels = ${jqlString(label)} ORDER BY created ASC`
  const body = { jql, fields: ['summary'], maxResults: 1 }
  const path = client.api(client.cloud ? '/search/jql' : '/search')
  const found = await client.post<{ issues?: { key?: string }[] }>(ctx, path, body)
  return found.issues?.find((issue) => typeof issue.key === 'string')?.key
}

/** A JQL string literal: double quotes, with `"` and `\` escaped. */
export function jqlString(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`
}
