import { buildReport, type DeliveryBatch, type Output, type PreviewContext, type ServiceNowIntegration } from '@postee/shared'
import { charactersPart } from '../preview-parts.js'
import { FIELD_LIMITS, buildRecord, correlationId, type ServiceNowRecord } from './servicenow-record.js'
import { tableApi } from './table-api.js'

/**
 * ServiceNow: one record per delivery in the configured table (`board`, default `incident`) via the
 * Table API, with Basic auth. The title goes to `short_description`, the report as plain text to
 * `description` and as HTML to a `work_notes` entry; an aggregated batch is one record.
 *
 * Idempotent by data, as alertmanager's Jira notifier is: the record carries
 * `correlation_id = postee:<batch key>` and is searched for first, so a retry after a lost answer
 * (a 500 or a timeout after the instance created it) or a replay finds the record instead of opening
 * a second one. The search and the create are two calls, so two attempts of one delivery running
 * at once could both create; the dispatcher never runs them at once (one job per delivery).
 * The result's externalId is the record's sys_id: every table has one, unlike `number`.
 */
export function createServiceNowOutput(integration: ServiceNowIntegration): Output {
  const api = tableApi(integration)
  return {
    kind: 'serviceNow',
    name: integration.name,
    async send(ctx, batch) {
      const existing = await api.find(ctx, correlationId(batch.key))
      if (existing !== undefined) return { externalId: existing }
      const created = await api.create(ctx, recordOf(ctx, batch))
      return created === undefined ? {} : { externalId: created }
    },
    preview(ctx, batch) {
      const record = recordOf(ctx, batch)
      return {
        format: `Table API record (table ${integration.table})`,
        parts: [
          charactersPart('short_description', record.short_description, FIELD_LIMITS.shortDescription),
          charactersPart('description', record.description, FIELD_LIMITS.description),
          // Left out of the record when even the shortest HTML report would not fit: size 0.
          charactersPart('work_notes', record.work_notes ?? '', FIELD_LIMITS.workNotes),
        ],
        body: JSON.stringify(record),
      }
    },
  }
}

/** The record of a batch: what `send` creates and `preview` measures. */
function recordOf(ctx: PreviewContext, batch: DeliveryBatch): ServiceNowRecord {
  const reports = batch.items.map((item) => buildReport(item, { aquaServer: ctx.aquaServer, aggregated: batch.aggregated }))
  return buildRecord(reports, batch.key)
}
