import type { SeverityCounts, Workload } from '../scan/model.js'
import { TARGET_LIMITS, largestFitting, truncate, utf8Bytes } from './limits.js'
import type { Report, ReportControl, ReportFinding, ReportItem } from './report.js'

/** Settings of a Splunk HTTP Event Collector output. */
export interface SplunkOptions {
  /** The most UTF-8 bytes of the request body (Postee's `SizeLimit`); 10,000 by default. */
  readonly sizeLimit?: number
  /** `_json` by default. */
  readonly sourcetype?: string
  readonly index?: string
  readonly source?: string
}

/** The event of one scan: its header always; its lists while they fit. */
export interface SplunkScanEvent {
  readonly title: string
  readonly image: string
  readonly registry: string
  readonly digest: string
  readonly compliant?: boolean
  readonly malwareFound?: boolean
  readonly sensitiveDataFound?: boolean
  readonly counts: SeverityCounts
  readonly diff?: {
    readonly newCounts: SeverityCounts
    readonly fixedCounts: SeverityCounts
    readonly newFindings?: readonly ReportFinding[]
    readonly newFindingsOmitted?: number
    readonly fixedFindings?: readonly ReportFinding[]
    readonly fixedFindingsOmitted?: number
  }
  readonly assuranceControls?: readonly ReportControl[]
  readonly vulnerabilities?: readonly ReportFinding[]
  readonly vulnerabilitiesOmitted?: number
  readonly malware?: readonly ReportItem[]
  readonly malwareOmitted?: number
  readonly sensitiveData?: readonly ReportItem[]
  readonly sensitiveDataOmitted?: number
  readonly workloads?: readonly Workload[]
  readonly link?: string
  /** Present (true) when the event was cut to its summary to fit `SizeLimit`. */
  readonly summaryOnly?: true
}

/** The last element of a batch's event array when whole scans had to be left out. */
export interface SplunkOmittedScans {
  readonly omittedScans: number
}

/** A HEC event body: one scan's event, or for a batch an array of per-scan events. */
export interface SplunkEventBody {
  readonly sourcetype: string
  readonly event: SplunkScanEvent | readonly (SplunkScanEvent | SplunkOmittedScans)[]
  readonly index?: string
  readonly source?: string
}

// How far an event has been shed; every step keeps what the steps after it keep.
interface Shedding {
  readonly findings: number
  readonly malware: boolean
  readonly sensitiveData: boolean
  readonly summaryOnly: boolean
  /** Cap on each text of a summary event, for hostile names that alone would pass the limit. */
  readonly text: number
  readonly scans: number
}

const TEXT_STEPS = { most: 500, least: 16 } as const

/**
 * Renders reports as a Splunk HEC event body of at most `sizeLimit` bytes. Over the limit it sheds
 * in the order docs/configuration.md gives for `SizeLimit`: findings first (most severe kept, as in
 * limits.ts, with `…Omitted` counts), then the malware items, then the sensitive-data items, then
 * it sends summary events (header, counts, diff counts, link) — never nothing. A batch's event is
 * an array of per-scan events shed together; if even their summaries do not fit, trailing scans are
 * counted in a final `{ omittedScans }` element.
 */
export function renderSplunkEvent(reports: readonly Report[], options: SplunkOptions = {}): SplunkEventBody {
  const limit = options.sizeLimit ?? TARGET_LIMITS.splunkBytes
  const at = (shed: Shedding): SplunkEventBody => bodyOf(reports, shed, options)
  const fits = (body: SplunkEventBody): boolean => utf8Bytes(JSON.stringify(body)) <= limit
  const longest = Math.max(0, ...reports.map(longestFindingList))
  const full: Shedding = {
    findings: longest,
    malware: true,
    sensitiveData: true,
    summaryOnly: false,
    text: Infinity,
    scans: reports.length,
  }
  const steps: (() => SplunkEventBody | undefined)[] = [
    () => largestFitting(0, longest, (findings) => at({ ...full, findings }), fits),
    () => keepIf(at({ ...full, findings: 0, malware: false }), fits),
    () => keepIf(at({ ...full, findings: 0, malware: false, sensitiveData: false }), fits),
    () => largestFitting(TEXT_STEPS.least, TEXT_STEPS.most, (text) => at({ ...full, summaryOnly: true, text }), fits),
    () => largestFitting(1, reports.length - 1, (scans) => at({ ...full, summaryOnly: true, text: TEXT_STEPS.least, scans }), fits),
  ]
  for (const step of steps) {
    const body = step()
    if (body !== undefined) return body
  }
  return at({ ...full, summaryOnly: true, text: TEXT_STEPS.least, scans: Math.min(1, reports.length) })
}

function bodyOf(reports: readonly Report[], shed: Shedding, options: SplunkOptions): SplunkEventBody {
  const events = reports.slice(0, shed.scans).map((report) => (shed.summaryOnly ? summaryOf(report, shed.text) : eventOf(report, shed)))
  const omitted = reports.length - shed.scans
  const event =
    reports.length === 1 && events[0] !== undefined ? events[0] : [...events, ...(omitted > 0 ? [{ omittedScans: omitted }] : [])]
  return {
    sourcetype: options.sourcetype ?? '_json',
    event,
    ...(options.index !== undefined ? { index: options.index } : {}),
    ...(options.source !== undefined ? { source: options.source } : {}),
  }
}

function eventOf(report: Report, shed: Shedding): SplunkScanEvent {
  const { diff } = report
  return {
    ...header(report, Infinity),
    ...(diff === undefined
      ? {}
      : {
          diff: {
            newCounts: diff.addedCounts,
            fixedCounts: diff.fixedCounts,
            ...list('newFindings', diff.added, shed.findings, diff.omittedAdded),
            ...list('fixedFindings', diff.fixed, shed.findings, diff.omittedFixed),
          },
        }),
    assuranceControls: report.controls,
    ...list('vulnerabilities', report.vulnerabilities, shed.findings, report.omitted?.vulnerabilities),
    ...list('malware', report.malware, shed.malware ? Infinity : 0, report.omitted?.malware),
    ...list('sensitiveData', report.sensitiveData, shed.sensitiveData ? Infinity : 0, report.omitted?.sensitiveData),
    workloads: report.workloads,
    ...(report.link !== undefined ? { link: report.link } : {}),
  }
}

function summaryOf(report: Report, textCap: number): SplunkScanEvent {
  const { diff } = report
  const link = report.link !== undefined && report.link.length <= textCap ? { link: report.link } : {}
  return {
    ...header(report, textCap),
    ...(diff === undefined ? {} : { diff: { newCounts: diff.addedCounts, fixedCounts: diff.fixedCounts } }),
    ...link,
    summaryOnly: true,
  }
}

function header(report: Report, textCap: number): Omit<SplunkScanEvent, 'diff'> {
  const text = (value: string): string => (textCap === Infinity ? value : truncate(value, textCap))
  return {
    title: text(report.title),
    image: text(report.image),
    registry: text(report.registry),
    digest: text(report.digest),
    ...(report.compliant !== undefined ? { compliant: report.compliant } : {}),
    ...(report.malwareFound !== undefined ? { malwareFound: report.malwareFound } : {}),
    ...(report.sensitiveDataFound !== undefined ? { sensitiveDataFound: report.sensitiveDataFound } : {}),
    counts: report.counts,
  }
}

// `{ name: rows }` when everything fits, plus `{ nameOmitted: n }` when rows were dropped (here, or
// `beyond`: by the bounded report before).
function list<K extends string, T>(name: K, rows: readonly T[], cap: number, beyond = 0): Record<string, readonly T[] | number> {
  const kept = rows.length <= cap ? rows : rows.slice(0, cap)
  const omitted = rows.length - kept.length + beyond
  return omitted > 0 ? { [name]: kept, [`${name}Omitted`]: omitted } : { [name]: kept }
}

function keepIf(body: SplunkEventBody, fits: (body: SplunkEventBody) => boolean): SplunkEventBody | undefined {
  return fits(body) ? body : undefined
}

function longestFindingList(report: Report): number {
  return Math.max(report.vulnerabilities.length, report.diff?.added.length ?? 0, report.diff?.fixed.length ?? 0)
}
