import { z } from 'zod'
import { imageIdentity, parseImageReference, type ImageReference } from './image-reference.js'
import { countBySeverity, toSeverity, type AuxiliaryScan, type Finding, type Scan } from './model.js'
import { MAX_LIST_ITEMS, MAX_NAME_LENGTH, ScanRejection, formatPath, rejectionFor } from './rejection.js'

/*
 * The Trivy JSON report (`trivy image|fs|repo --format json`), as aquasecurity/trivy defines it
 * in pkg/types/report.go (Report, Metadata, Result), pkg/types/vulnerability.go
 * (DetectedVulnerability) and pkg/fanal/types/secret.go (SecretFinding). Trivy writes most fields
 * with `omitempty` and nil slices as null, so everything we do not need for identity is nullish.
 */
const text = z.string().nullish()
// Identifiers (CVE ids, package names, versions, paths) are short; titles and descriptions are not.
const name = z.string().max(MAX_NAME_LENGTH)

const vulnerabilitySchema = z.looseObject({
  VulnerabilityID: name.min(1),
  PkgName: name.nullish(),
  // Set for language packages found inside files (jar, egg, gemspec); the name may be missing.
  PkgPath: name.nullish(),
  InstalledVersion: name.nullish(),
  FixedVersion: name.nullish(),
  // CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN (trivy-db's severity names).
  Severity: text,
  Title: text,
  PrimaryURL: text,
})

const secretSchema = z.looseObject({ RuleID: text, Category: text, Severity: text, Title: text })

const resultSchema = z.looseObject({
  Target: name.nullish(),
  Class: text,
  Vulnerabilities: z.array(vulnerabilitySchema).max(MAX_LIST_ITEMS).nullish(),
  Secrets: z.array(secretSchema).max(MAX_LIST_ITEMS).nullish(),
})

/** A Trivy JSON report (SchemaVersion 2); unknown fields are kept untouched. */
export const trivyReportSchema = z.looseObject({
  SchemaVersion: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  // "image name, tar file name, directory or repository name" (fanal ArtifactReference.Name).
  ArtifactName: z.string().min(1).max(MAX_NAME_LENGTH),
  // fanal ArtifactType: container_image, filesystem, repository, cyclonedx, spdx, aws_account, vm.
  ArtifactType: name.min(1),
  Metadata: z
    .looseObject({
      ImageID: text,
      RepoTags: z.array(name).max(MAX_LIST_ITEMS).nullish(),
      RepoDigests: z.array(name).max(MAX_LIST_ITEMS).nullish(),
    })
    .nullish(),
  Results: z.array(resultSchema).max(MAX_LIST_ITEMS).nullish(),
})

type TrivyReport = z.infer<typeof trivyReportSchema>

const CONTAINER_IMAGE = 'container_image'

/** True when a parsed JSON body has the shape of a Trivy JSON report (`SchemaVersion` and `ArtifactName` or `Results`). */
export function looksLikeTrivyReport(body: unknown): boolean {
  return isRecord(body) && 'SchemaVersion' in body && ('ArtifactName' in body || 'Results' in body)
}

/** Parses a Trivy JSON report into the scan model, or rejects it naming the field. */
export function parseTrivyReport(body: unknown): Scan {
  const result = trivyReportSchema.safeParse(body)
  if (!result.success) {
    const issue = result.error.issues[0]!
    throw rejectionFor(
      issue,
      formatPath(issue.path),
      'not a Trivy report',
      'a report (trivy --format json) needs `SchemaVersion`, `ArtifactName` and `ArtifactType`',
    )
  }
  return toScan(result.data)
}

function toScan(report: TrivyReport): Scan {
  const findings = toFindings(report)
  return {
    source: 'trivy',
    ...identify(report),
    previousDigest: '',
    findings,
    // Trivy has no summary block; even if a wrapper added one, the list is the truth.
    counts: countBySeverity(findings),
    compliance: undefined,
    malware: { scanned: false, count: 0, items: [] },
    sensitiveData: toSensitiveData(report),
    owners: [],
    workloads: [],
  }
}

function identify(report: TrivyReport): { registry: string; image: string; digest: string } {
  // Only an image has a registry; for a directory, repository or SBOM the artifact type stands in
  // for it and the name is the whole identity (Trivy gives such artifacts no digest).
  if (report.ArtifactType !== CONTAINER_IMAGE) {
    return { registry: report.ArtifactType, image: report.ArtifactName, digest: '' }
  }
  const ref = imageReference(report)
  // A pinned digest drops the tag from the identity: see imageIdentity.
  const { registry, image } = imageIdentity(ref.registry, ref.repository, ref.digest ? '' : ref.tag)
  return { registry, image, digest: imageDigest(report, ref) }
}

function imageReference(report: TrivyReport): ImageReference {
  // `trivy image --input alpine.tar` names the tar file; the image's own tags are then the
  // better name, when they parse.
  const candidates = [report.ArtifactName, ...(report.Metadata?.RepoTags ?? [])]
  for (const candidate of candidates) {
    const ref = tryParse(candidate)
    if (ref) return ref
  }
  throw new ScanRejection(
    `not a Trivy report: the field \`ArtifactName\` ("${report.ArtifactName}") is not an image reference ` +
      'and `Metadata.RepoTags` has none either',
  )
}

/**
 * The manifest digest, as the Trivy Operator takes it too (trivy-operator plugin getImageDigest:
 * the part of `Metadata.RepoDigests[0]` after `@`), so both sources give the same image the same
 * digest. When several repositories are listed, the one the report names wins; without any,
 * the digest the reference pinned, then the image id (the config digest, as older operators did).
 */
function imageDigest(report: TrivyReport, ref: ImageReference): string {
  const repoDigests = report.Metadata?.RepoDigests ?? []
  const parsed = repoDigests.map(tryParse).filter((entry): entry is ImageReference => entry !== undefined && entry.digest !== '')
  const same = parsed.find((entry) => entry.registry === ref.registry && entry.repository === ref.repository)
  return (same ?? parsed[0])?.digest || ref.digest || (report.Metadata?.ImageID ?? '')
}

function tryParse(reference: string): ImageReference | undefined {
  try {
    return parseImageReference(reference)
  } catch {
    return undefined
  }
}

function toFindings(report: TrivyReport): Finding[] {
  const findings: Finding[] = []
  for (const result of report.Results ?? []) {
    for (const vulnerability of result.Vulnerabilities ?? []) {
      findings.push({
        resource: vulnerability.PkgName || vulnerability.PkgPath || '',
        resourceVersion: vulnerability.InstalledVersion ?? '',
        vulnerability: vulnerability.VulnerabilityID,
        severity: toSeverity(vulnerability.Severity),
        fixVersion: vulnerability.FixedVersion ?? '',
        ...(vulnerability.Title ? { title: vulnerability.Title } : {}),
        ...(vulnerability.PrimaryURL ? { link: vulnerability.PrimaryURL } : {}),
      })
    }
  }
  return findings
}

function toSensitiveData(report: TrivyReport): AuxiliaryScan {
  // Trivy omits empty slices, so a result with `Secrets` exists only when the secret scanner ran
  // and found something; without one we cannot tell "not scanned" from "nothing found".
  const withSecrets = (report.Results ?? []).filter((result) => Array.isArray(result.Secrets))
  if (withSecrets.length === 0) return { scanned: false, count: 0, items: [] }
  // `Match` and `Code` are left out: they hold the (masked) line around the secret.
  const items = withSecrets.flatMap((result) =>
    (result.Secrets ?? []).map((secret) => ({
      RuleID: secret.RuleID ?? '',
      Category: secret.Category ?? '',
      Severity: secret.Severity ?? '',
      Title: secret.Title ?? '',
      Target: result.Target ?? '',
    })),
  )
  return { scanned: true, count: items.length, items }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
