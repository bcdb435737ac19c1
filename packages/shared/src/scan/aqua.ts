import { z } from 'zod'
import { countBySeverity, ratedSeverity, toSeverity, type Finding, type Scan, type SeverityCounts } from './model.js'
import { MAX_LIST_ITEMS, MAX_NAME_LENGTH, formatPath, rejectionFor } from './rejection.js'

// Aqua (a Go server) writes absent slices and objects as null, so every optional field is nullish.
const text = z.string().nullish()
// Identifiers (CVE ids, package names, versions, paths, owners) are short; descriptions are not.
const name = z.string().max(MAX_NAME_LENGTH)
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullish()
const record = z.record(z.string(), z.unknown())

const vulnerabilitySchema = z.looseObject({
  name: name,
  fix_version: name.nullish(),
  aqua_severity: text,
  vendor_severity: text,
  nvd_severity: text,
  nvd_url: text,
  vendor_url: text,
})

const resourceSchema = z.looseObject({
  resource: z.looseObject({ name: name.nullish(), version: name.nullish(), path: name.nullish() }).nullish(),
  vulnerabilities: z.array(vulnerabilitySchema).max(MAX_LIST_ITEMS).nullish(),
})

/**
 * The Aqua image-scan webhook: the fields Postee reads (docs/postee-compatibility.md); unknown
 * fields are kept untouched.
 */
export const aquaScanSchema = z.looseObject({
  image: z.string().min(1).max(MAX_NAME_LENGTH),
  registry: z.string().max(MAX_NAME_LENGTH),
  digest: z.string().max(MAX_NAME_LENGTH).nullish(),
  previous_digest: z.string().max(MAX_NAME_LENGTH).nullish(),
  vulnerability_summary: z
    .looseObject({
      total: count,
      critical: count,
      high: count,
      medium: count,
      low: count,
      negligible: count,
      sensitive: count,
      malware: count,
    })
    .nullish(),
  image_assurance_results: z
    .looseObject({
      disallowed: z.boolean().nullish(),
      checks_performed: z
        .array(z.looseObject({ control: text, policy_name: text, failed: z.boolean().nullish() }))
        .max(MAX_LIST_ITEMS)
        .nullish(),
    })
    .nullish(),
  scan_options: z.looseObject({ scan_malware: z.boolean().nullish(), scan_sensitive_data: z.boolean().nullish() }).nullish(),
  // Each resource is checked by resourceSchema on its own in toFindings, so a scan of 85,000
  // findings is never copied whole by the schema (see parseAquaScan).
  resources: z.array(z.unknown()).max(MAX_LIST_ITEMS).nullish(),
  application_scope_owners: z.array(name).max(MAX_LIST_ITEMS).nullish(),
  malware: z.array(record).max(MAX_LIST_ITEMS).nullish(),
  sensitive_data: z.array(record).max(MAX_LIST_ITEMS).nullish(),
})

type AquaScan = z.infer<typeof aquaScanSchema>

/** True when a parsed JSON body has the shape of an Aqua image scan (an `image` and a `registry`). */
export function looksLikeAquaScan(body: unknown): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && ('image' in body || 'registry' in body)
}

/** Parses an Aqua image-scan webhook body into the scan model, or rejects it naming the field. */
export function parseAquaScan(body: unknown): Scan {
  const result = aquaScanSchema.safeParse(body)
  if (!result.success) throw rejection(result.error.issues[0]!, [])
  return toScan(result.data)
}

function rejection(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]) {
  return rejectionFor(issue, formatPath([...prefix, ...issue.path]), 'not an Aqua scan', 'an image scan needs `image` and `registry`')
}

function toScan(aqua: AquaScan): Scan {
  const { findings, rated } = toFindings(aqua.resources ?? [])
  const summary = aqua.vulnerability_summary
  const malwareItems = aqua.malware ?? []
  const sensitiveItems = aqua.sensitive_data ?? []
  return {
    source: 'aqua',
    registry: aqua.registry,
    image: aqua.image,
    digest: aqua.digest ?? '',
    previousDigest: aqua.previous_digest ?? '',
    findings,
    // Postee's policies read the summary counters; mock scans carry only a summary, no resources.
    // Without one, the findings are counted, but only those with a severity: Postee left a
    // finding without one out, so its summary-less test scans pass no Policy-Min-Vulnerability.
    counts: summary ? summaryCounts(summary) : countBySeverity(findings.filter((_finding, i) => rated[i])),
    compliance: aqua.image_assurance_results
      ? {
          disallowed: aqua.image_assurance_results.disallowed ?? false,
          checks: (aqua.image_assurance_results.checks_performed ?? []).map((check) => ({
            control: check.control ?? '',
            policyName: check.policy_name ?? '',
            failed: check.failed ?? false,
          })),
        }
      : { disallowed: false, checks: [] },
    malware: {
      scanned: aqua.scan_options?.scan_malware ?? false,
      count: summary?.malware ?? malwareItems.length,
      items: malwareItems,
    },
    sensitiveData: {
      scanned: aqua.scan_options?.scan_sensitive_data ?? false,
      count: summary?.sensitive ?? sensitiveItems.length,
      items: sensitiveItems,
    },
    owners: aqua.application_scope_owners ?? [],
    workloads: [],
  }
}

function summaryCounts(summary: NonNullable<AquaScan['vulnerability_summary']>): SeverityCounts {
  return {
    critical: summary.critical ?? 0,
    high: summary.high ?? 0,
    medium: summary.medium ?? 0,
    low: summary.low ?? 0,
    negligible: summary.negligible ?? 0,
  }
}

// One resource at a time through the schema: its checked copy is garbage as soon as its findings
// are made, so the peak is the JSON tree plus the findings, not the tree plus a checked copy.
// `rated[i]` says whether finding i has a severity of its own (counted only then, as Postee does).
function toFindings(resources: readonly unknown[]): { findings: Finding[]; rated: boolean[] } {
  const findings: Finding[] = []
  const rated: boolean[] = []
  for (const [index, item] of resources.entries()) {
    const checked = resourceSchema.safeParse(item)
    if (!checked.success) throw rejection(checked.error.issues[0]!, ['resources', index])
    const entry = checked.data
    const resource = entry.resource
    // File resources carry a path and no name.
    const name = resource?.name || resource?.path || ''
    for (const vulnerability of entry.vulnerabilities ?? []) {
      const link = vulnerability.nvd_url || vulnerability.vendor_url
      findings.push({
        resource: name,
        resourceVersion: resource?.version ?? '',
        vulnerability: vulnerability.name,
        severity: toSeverity(severityWord(vulnerability)),
        fixVersion: vulnerability.fix_version ?? '',
        ...(link ? { link } : {}),
      })
      rated.push(ratedSeverity(severityWord(vulnerability)) !== undefined)
    }
  }
  return { findings, rated }
}

function severityWord(vulnerability: z.infer<typeof vulnerabilitySchema>): string | null | undefined {
  return vulnerability.aqua_severity ?? vulnerability.vendor_severity ?? vulnerability.nvd_severity
}
