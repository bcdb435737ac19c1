import {
  DeliveryError,
  TARGET_LIMITS,
  buildReport,
  renderJiraAdf,
  renderJiraWiki,
  type DeliveryBatch,
  type DeliveryContext,
  type JiraAdfIssue,
  type JiraIntegration,
  type JiraWikiIssue,
  type MessagePreview,
  type Output,
  type PreviewContext,
} from '@postee/shared'
import { charactersPart } from '../preview-parts.js'
import { resolveAssignee } from './jira-assignee.js'
import { createJiraClient, type JiraClient } from './jira-client.js'
import { findIssueByLabel, idempotencyLabel } from './jira-idempotency.js'
import { createMetadataCache, type JiraMetadataCache } from './jira-metadata.js'
import { createSprintResolver, wantsSprint, type SprintResolver } from './jira-sprint.js'
import { mapUnknowns } from './jira-unknowns.js'

/** Knobs of the Jira output that are not configuration: how long Jira's metadata is trusted. */
export interface JiraOutputOptions {
  /** How long field metadata and board ids are reused (default 5 minutes). */
  readonly metadataTtlMs?: number
  readonly now?: () => number
}

const DEFAULT_METADATA_TTL_MS = 5 * 60_000

/**
 * Jira: one issue per batch, created with `POST /rest/api/{2|3}/issue`; its key is the delivery's
 * externalId. Before creating, the issue carrying the batch's idempotency label is searched for,
 * so a retry after a lost answer, or a replay, returns the existing issue instead of a duplicate.
 * v2 (Data Center) gets a wiki-markup description, v3 (Cloud) an ADF document.
 * https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-post
 * https://developer.atlassian.com/server/jira/platform/rest/v10005/api-group-issue/
 */
export function createJiraOutput(integration: JiraIntegration, options: JiraOutputOptions = {}): Output {
  const client = createJiraClient(integration)
  const cache = { ttlMs: options.metadataTtlMs ?? DEFAULT_METADATA_TTL_MS, now: options.now ?? Date.now }
  const metadata = createMetadataCache(client, { projectKey: integration.projectKey, issueType: integration.issueType, ...cache })
  const sprints = createSprintResolver(client, integration, cache)
  return {
    kind: 'jira',
    name: integration.name,
    async send(ctx, batch) {
      const label = idempotencyLabel(batch.key)
      const existing = await findIssueByLabel(ctx, client, integration.projectKey, label)
      if (existing) return { externalId: existing }
      const fields = await issueFields(ctx, batch, label, { integration, client, metadata, sprints })
      const created = await client.post<{ key?: unknown }>(ctx, client.api('/issue'), { fields })
      if (typeof created.key !== 'string') {
        // The issue may exist: the retry's search finds it by its label rather than creating another.
        throw new DeliveryError(
          'Jira answered the create call without an issue key; the retry looks the issue up by its label',
          'unknown',
          true,
        )
      }
      return { externalId: created.key }
    },
    preview(ctx, batch) {
      return previewIssue(ctx, batch, integration)
    },
  }
}

/**
 * The create call as far as it can be known without Jira: the assignee lookup, `unknowns` and the
 * sprint need Jira's answers, so they are left out; without them the body is the one `send` posts.
 */
function previewIssue(ctx: PreviewContext, batch: DeliveryBatch, integration: JiraIntegration): MessagePreview {
  const text = issueText(ctx, batch, integration.apiVersion)
  // The renderers measure an ADF description by its serialized JSON, so the preview does too.
  const description = typeof text.description === 'string' ? text.description : JSON.stringify(text.description)
  return {
    format: integration.apiVersion === 3 ? 'Jira issue, Atlassian Document Format (REST API v3)' : 'Jira issue, wiki markup (REST API v2)',
    parts: [
      charactersPart('summary', text.summary, TARGET_LIMITS.jira.summary),
      charactersPart('description', description, TARGET_LIMITS.jira.description),
    ],
    body: JSON.stringify({ fields: plainFields(integration, text, idempotencyLabel(batch.key)) }),
  }
}

/** The summary and description of a batch in the format of the configured API version. */
function issueText(ctx: PreviewContext, batch: DeliveryBatch, apiVersion: 2 | 3): JiraWikiIssue | JiraAdfIssue {
  const reports = batch.items.map((item) =>
    buildReport({ scan: item.scan, diff: item.diff }, { aquaServer: ctx.aquaServer, aggregated: batch.aggregated }),
  )
  return apiVersion === 3 ? renderJiraAdf(reports) : renderJiraWiki(reports)
}

/** The fields that need nothing from Jira, in the order the create call sends them. */
function plainFields(integration: JiraIntegration, text: JiraWikiIssue | JiraAdfIssue, label: string): Record<string, unknown> {
  return {
    project: { key: integration.projectKey },
    issuetype: { name: integration.issueType },
    summary: text.summary,
    description: text.description,
    priority: { name: integration.priority },
    labels: [...new Set([...integration.labels, label])],
  }
}

interface Parts {
  readonly integration: JiraIntegration
  readonly client: JiraClient
  readonly metadata: JiraMetadataCache
  readonly sprints: SprintResolver
}

/** The `fields` of the create call, in Jira's documented shapes. */
async function issueFields(ctx: DeliveryContext, batch: DeliveryBatch, label: string, parts: Parts): Promise<Record<string, unknown>> {
  const { integration, client } = parts
  const text = issueText(ctx, batch, client.apiVersion)
  const custom = await customFields(ctx, parts)
  const assignee = await resolveAssignee(ctx, client, integration, batch)
  return {
    ...plainFields(integration, text, label),
    ...(assignee ? { assignee } : {}),
    ...custom,
  }
}

/** The unknowns and the sprint: the only parts that need Jira's field metadata. */
async function customFields(ctx: DeliveryContext, { integration, client, metadata, sprints }: Parts): Promise<Record<string, unknown>> {
  const hasUnknowns = integration.unknowns.length > 0
  if (!hasUnknowns && !wantsSprint(integration)) return {}
  const meta = await metadata.load(ctx, { screen: hasUnknowns })
  const target = {
    apiVersion: client.apiVersion,
    cloud: client.cloud,
    projectKey: integration.projectKey,
    issueType: integration.issueType,
  }
  return {
    ...(hasUnknowns ? mapUnknowns(integration.unknowns, meta, target) : {}),
    ...(await sprints.resolve(ctx, meta.fields)),
  }
}
