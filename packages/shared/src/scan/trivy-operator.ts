import { z } from 'zod'
import { imageIdentity } from './image-reference.js'
import { countBySeverity, toSeverity, type Finding, type Scan, type Workload } from './model.js'
import { MAX_LIST_ITEMS, MAX_NAME_LENGTH, ScanRejection, formatPath, rejectionFor } from './rejection.js'

/*
 * Trivy Operator's VulnerabilityReport custom resource, as aquasecurity/trivy-operator defines it
 * in pkg/apis/aquasecurity/v1alpha1/vulnerability_types.go. The operator fills `report.registry`
 * and `report.artifact` from go-containerregistry's parse of the container's image
 * (plugin parseImageRef): `server` is RegistryStr() (`index.docker.io` for Docker Hub),
 * `repository` is RepositoryStr() (`library/nginx`), `tag` is set for a tag reference and
 * `digest` for a digest reference, else from the scan's RepoDigests (older versions: ImageID).
 * `vulnerabilities` has no omitempty, so an empty list arrives as null.
 */
const text = z.string().nullish()
// Identifiers (CVE ids, package names, versions, paths) are short; titles are not.
const name = z.string().max(MAX_NAME_LENGTH)

const vulnerabilitySchema = z.looseObject({
  vulnerabilityID: name.min(1),
  resource: name.nullish(),
  packagePath: name.nullish(),
  installedVersion: name.nullish(),
  fixedVersion: name.nullish(),
  severity: text,
  title: text,
  primaryLink: text,
  links: z.array(z.string()).max(MAX_LIST_ITEMS).nullish(),
})

/** A VulnerabilityReport resource as the operator's webhook POSTs it; unknown fields are kept untouched. */
export const vulnerabilityReportSchema = z.looseObject({
  apiVersion: text,
  kind: text,
  metadata: z
    .looseObject({
      name: text,
      namespace: text,
      labels: z.record(z.string(), z.string()).nullish(),
      ownerReferences: z
        .array(z.looseObject({ kind: text, name: text, controller: z.boolean().nullish() }))
        .max(MAX_LIST_ITEMS)
        .nullish(),
    })
    .nullish(),
  report: z.looseObject({
    registry: z.looseObject({ server: text }).nullish(),
    artifact: z.looseObject({
      repository: z.string().min(1).max(MAX_NAME_LENGTH),
      tag: z.string().max(MAX_NAME_LENGTH).nullish(),
      digest: z.string().max(MAX_NAME_LENGTH).nullish(),
    }),
    // `report.summary` is deliberately not read: counts come from the list (see toScan).
    vulnerabilities: z.array(vulnerabilitySchema).max(MAX_LIST_ITEMS).nullish(),
  }),
})

type VulnerabilityReport = z.infer<typeof vulnerabilityReportSchema>

const REPORT_KIND = 'VulnerabilityReport'

// Labels the operator puts on every report (trivy-operator pkg/trivyoperator/constants.go). A
// workload name too long for a label value is replaced by `trivy-operator.resource.name-hash`.
const LABEL_NAMESPACE = 'trivy-operator.resource.namespace'
const LABEL_KIND = 'trivy-operator.resource.kind'
const LABEL_NAME = 'trivy-operator.resource.name'
const LABEL_CONTAINER = 'trivy-operator.container.name'

/**
 * True when a parsed JSON body is a VulnerabilityReport: `kind: VulnerabilityReport`, or, without
 * a kind, an object with `report.artifact` and `report.vulnerabilities`; also inside the
 * `{verb, operatorObject}` envelope.
 */
export function looksLikeVulnerabilityReport(body: unknown): boolean {
  const object = unwrap(body).object
  if (!isRecord(object)) return false
  // The webhook sends other report kinds to the same URL (ExposedSecretReport, ConfigAuditReport…).
  if (typeof object.kind === 'string' && object.kind !== '') return object.kind === REPORT_KIND
  const report = object.report
  return isRecord(report) && 'artifact' in report && 'vulnerabilities' in report
}

/** Parses a Trivy Operator VulnerabilityReport (bare or in its webhook envelope) into the scan model, or rejects it naming the field. */
export function parseVulnerabilityReport(body: unknown): Scan {
  const { object, verb, prefix } = unwrap(body)
  if (verb === 'delete') {
    throw new ScanRejection('a trivy-operator `delete` notification (`verb: "delete"`) is not a scan: there is nothing to ingest')
  }
  const result = vulnerabilityReportSchema.safeParse(object)
  if (!result.success) {
    const issue = result.error.issues[0]!
    throw rejectionFor(
      issue,
      formatPath([...prefix, ...issue.path]),
      'not a VulnerabilityReport',
      'a report needs `report.artifact.repository`',
    )
  }
  if (result.data.kind && result.data.kind !== REPORT_KIND) {
    const where = formatPath([...prefix, 'kind'])
    throw new ScanRejection(
      `not a VulnerabilityReport: the field \`${where}\` is "${result.data.kind}"; only vulnerability reports are scans`,
    )
  }
  return toScan(result.data)
}

/**
 * With OPERATOR_SEND_DELETED_REPORTS=true the operator wraps every report as
 * `{"verb": "update" | "delete", "operatorObject": <report>}` (pkg/webhook WebhookMsg);
 * without it the report object itself is the body.
 */
function unwrap(body: unknown): { object: unknown; verb: string | undefined; prefix: string[] } {
  if (isRecord(body) && 'operatorObject' in body && typeof body.verb === 'string') {
    return { object: body.operatorObject, verb: body.verb, prefix: ['operatorObject'] }
  }
  return { object: body, verb: undefined, prefix: [] }
}

function toScan(resource: VulnerabilityReport): Scan {
  const { registry, artifact } = resource.report
  const findings = toFindings(resource)
  return {
    source: 'trivy-operator',
    // go-containerregistry always fills the server; an empty one can only mean its default, Docker Hub.
    ...imageIdentity(registry?.server || 'docker.io', artifact.repository, artifact.tag ?? ''),
    digest: artifact.digest ?? '',
    previousDigest: '',
    findings,
    // `report.summary` can disagree with the list (the Postee fixture claims 2 criticals for one),
    // and policies and the diff must agree with what the message lists.
    counts: countBySeverity(findings),
    compliance: undefined,
    malware: { scanned: false, count: 0, items: [] },
    // Secrets arrive as a separate ExposedSecretReport, which is not a scan here.
    sensitiveData: { scanned: false, count: 0, items: [] },
    owners: [],
    workloads: toWorkloads(resource),
  }
}

function toFindings(resource: VulnerabilityReport): Finding[] {
  return (resource.report.vulnerabilities ?? []).map((vulnerability) => {
    const link = vulnerability.primaryLink || vulnerability.links?.find((candidate) => candidate !== '')
    return {
      resource: vulnerability.resource || vulnerability.packagePath || '',
      resourceVersion: vulnerability.installedVersion ?? '',
      vulnerability: vulnerability.vulnerabilityID,
      severity: toSeverity(vulnerability.severity),
      fixVersion: vulnerability.fixedVersion ?? '',
      ...(vulnerability.title ? { title: vulnerability.title } : {}),
      ...(link ? { link } : {}),
    }
  })
}

/** One workload from the operator's labels; none when the labels name no workload. */
function toWorkloads(resource: VulnerabilityReport): Workload[] {
  const labels = resource.metadata?.labels ?? {}
  // The report is owned by its workload, which also covers names too long for a label.
  const owner = resource.metadata?.ownerReferences?.find((reference) => reference.controller) ?? resource.metadata?.ownerReferences?.[0]
  const kind = labels[LABEL_KIND] || owner?.kind || ''
  const name = labels[LABEL_NAME] || owner?.name || ''
  if (kind === '' && name === '') return []
  return [
    {
      // The report lives in its workload's namespace, so metadata.namespace is a safe fallback.
      namespace: labels[LABEL_NAMESPACE] ?? resource.metadata?.namespace ?? '',
      kind,
      name,
      container: labels[LABEL_CONTAINER] ?? '',
    },
  ]
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
