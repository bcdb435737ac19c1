/**
 * The shortening rule: how every renderer keeps a report within what its target accepts
 * (docs/postee-compatibility.md, messages). Written once here and used by every renderer.
 *
 * 1. The header always survives: the title, image, registry, compliance, the malware and
 *    sensitive-data flags, the severity counts, and the diff section's counts per severity.
 * 2. Every list of a report (new findings, fixed findings, vulnerabilities, assurance controls,
 *    malware, sensitive data, workloads) shows at most `cap` rows. Findings are ordered most severe
 *    first (critical → negligible), so a cap keeps the most severe and drops the rest. The renderer
 *    renders again with a smaller cap (galloping, then a binary search for the largest cap that
 *    fits); it never cuts rendered output, so markup is never split mid-element.
 * 3. A list that lost rows ends with "and N more …", where N = total − kept, followed by the link to
 *    the full report when AquaServer is set.
 * 4. In an aggregated batch, when even cap 0 does not fit, the last scans are left out whole and the
 *    message ends with "and N more scans".
 * 5. A single text too long for its slot (an image name, a cell, a header block) is cut as plain
 *    text, before escaping or formatting, at a code point boundary, ending with "…"; so an escape
 *    sequence, entity or tag is never split. The caps are `TEXT_CAPS`, measured after escaping.
 *
 * Splunk sheds in the order docs/configuration.md gives for `SizeLimit` (findings, then malware,
 * then sensitive data, then a summary event); its first step is rule 2 applied to findings only
 * (see splunk.ts).
 */
import type { Workload } from '../scan/model.js'
import { batchTitle } from './report.js'
import type { Report, ReportControl, ReportFinding, ReportItem } from './report.js'

/** The limits of each target, as their documentation states them. */
export const TARGET_LIMITS = {
  /** Slack Block Kit: blocks per message, section text, fields per section, field text, header text. */
  slack: { blocks: 50, sectionText: 3000, fields: 10, fieldText: 2000, headerText: 150 },
  /** Teams rejects a webhook body over about 28 KB (UTF-8 bytes of the JSON). */
  teamsBytes: 28_000,
  /** Jira summary and description, in characters (UTF-16 units, as Java counts them). */
  jira: { summary: 255, description: 32_767 },
  /** Splunk HEC: Postee's default `SizeLimit`, in bytes of the request body. */
  splunkBytes: 10_000,
} as const

/**
 * Our own caps, in characters after escaping, for one text: a name in the header, a table cell,
 * a free-text title. They keep any single row far below Slack's 3,000 characters per text.
 */
export const TEXT_CAPS = { name: 500, cell: 200, prose: 300 } as const

/** A list as shown: the rows kept and how many were left out. */
export interface Shown<T> {
  readonly rows: readonly T[]
  readonly omitted: number
}

/** One report with every list cut to the same cap. */
export interface ReportView {
  readonly report: Report
  readonly controls: Shown<ReportControl>
  /** Empty when the report has no diff. */
  readonly added: Shown<ReportFinding>
  readonly fixed: Shown<ReportFinding>
  readonly vulnerabilities: Shown<ReportFinding>
  readonly malware: Shown<ReportItem>
  readonly sensitiveData: Shown<ReportItem>
  readonly workloads: Shown<Workload>
}

/** What a renderer draws: the message title, the scans shown, and how many scans were left out. */
export interface BatchView {
  readonly title: string
  readonly views: readonly ReportView[]
  readonly omittedScans: number
}

/** Cuts every list of every report to `cap` rows, keeping the first `scans` reports. */
export function viewBatch(reports: readonly Report[], cap: number, scans = reports.length): BatchView {
  return {
    title: batchTitle(reports),
    views: reports.slice(0, scans).map((report) => viewReport(report, cap)),
    omittedScans: Math.max(0, reports.length - scans),
  }
}

/** Cuts every list of one report to `cap` rows. */
export function viewReport(report: Report, cap: number): ReportView {
  return {
    report,
    controls: take(report.controls, cap),
    added: take(report.diff?.added ?? [], cap, report.diff?.omittedAdded),
    fixed: take(report.diff?.fixed ?? [], cap, report.diff?.omittedFixed),
    vulnerabilities: take(report.vulnerabilities, cap, report.omitted?.vulnerabilities),
    malware: take(report.malware, cap, report.omitted?.malware),
    sensitiveData: take(report.sensitiveData, cap, report.omitted?.sensitiveData),
    workloads: take(report.workloads, cap),
  }
}

/**
 * Renders the reports with the largest cap whose output `fits` (rules 2 and 4 above). When even
 * one scan at cap 0 does not fit, that output is returned anyway: `TEXT_CAPS` are chosen so the
 * header of one scan fits every target, and the limit tests hold that.
 */
export function fitBatch<T>(reports: readonly Report[], render: (batch: BatchView) => T, fits: (out: T) => boolean): T {
  // Galloping up from cap 0 never renders a 5,000-row report whole just to learn it is too big.
  const longest = Math.max(0, ...reports.map(longestList))
  const byCap = largestFitting(0, longest, (cap) => render(viewBatch(reports, cap)), fits)
  if (byCap !== undefined) return byCap
  const byScans = largestFitting(1, reports.length - 1, (scans) => render(viewBatch(reports, 0, scans)), fits)
  return byScans ?? render(viewBatch(reports, 0, Math.min(1, reports.length)))
}

/** The "and N more …" wording every renderer uses, so N always means total − kept. */
export function moreText(omitted: number, noun: string): string {
  return `and ${omitted} more ${noun}`
}

/**
 * Cuts plain text so that `measure` of the result (by default its length) is at most `max`, at a
 * code point boundary, ending with "…" (rule 5). Text that fits is returned unchanged.
 */
export function truncate(text: string, max: number, measure: (text: string) => number = (t) => t.length): string {
  if (measure(text) <= max) return text
  // Escaping never shortens text, so at most `max` code points can fit; a code point is at most two
  // UTF-16 units. Bounding the search keeps a 100 KB hostile name as cheap as a short one.
  const points = Array.from(text.slice(0, 2 * max + 2))
  const cut = (n: number): string => points.slice(0, n).join('').trimEnd() + '…'
  let fits = 0
  let fails = Math.min(points.length, max + 1)
  while (fails - fits > 1) {
    const mid = (fits + fails) >>> 1
    if (measure(cut(mid)) <= max) fits = mid
    else fails = mid
  }
  return cut(fits)
}

// fitBatch renders a report up to ~30 times with growing caps, fitting the same cells each time;
// remembering results (a pure function of its arguments) makes that nearly free. Keyed by the text
// itself, not a concatenation, because V8 caches a string's hash: a lookup then costs no O(length)
// work. Bounded, so a long-running dispatcher does not grow without end.
const fitted = new WeakMap<(text: string) => string, Map<number, Map<string, string>>>()
const FITTED_MAX = 20_000

/** Truncates plain text so its escaped form is at most `max` characters, then escapes it. */
export function fitText(text: string, max: number, escape: (text: string) => string): string {
  let byMax = fitted.get(escape)
  if (byMax === undefined) fitted.set(escape, (byMax = new Map<number, Map<string, string>>()))
  let cache = byMax.get(max)
  if (cache === undefined) byMax.set(max, (cache = new Map<string, string>()))
  const known = cache.get(text)
  if (known !== undefined) return known
  const result = escape(truncate(text, max, (t) => escape(t).length))
  if (cache.size >= FITTED_MAX) cache.clear()
  cache.set(text, result)
  return result
}

/** The size of a body in UTF-8 bytes, the unit Teams and Splunk limits are stated in. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}

// `beyond`: rows the report itself left out (a bounded summary), counted in "and N more" too.
function take<T>(rows: readonly T[], cap: number, beyond = 0): Shown<T> {
  return rows.length <= cap ? { rows, omitted: beyond } : { rows: rows.slice(0, cap), omitted: rows.length - cap + beyond }
}

function longestList(report: Report): number {
  return Math.max(
    report.controls.length,
    report.diff?.added.length ?? 0,
    report.diff?.fixed.length ?? 0,
    report.vulnerabilities.length,
    report.malware.length,
    report.sensitiveData.length,
    report.workloads.length,
  )
}

/**
 * The output for the largest n in [low, high] whose output fits, or undefined when none does.
 * Gallops up from `low` so big reports are mostly rendered small, then bisects; assumes that
 * fitting is monotone in n, which holds because a larger n only adds rows.
 */
export function largestFitting<T>(low: number, high: number, render: (n: number) => T, fits: (out: T) => boolean): T | undefined {
  if (high < low) return undefined
  let best = render(low)
  if (!fits(best)) return undefined
  let good = low
  let bad = high + 1
  for (let step = 1; good + step < bad; step *= 2) {
    const out = render(good + step)
    if (!fits(out)) {
      bad = good + step
      break
    }
    good += step
    best = out
  }
  while (bad - good > 1) {
    const mid = (good + bad) >>> 1
    const out = render(mid)
    if (fits(out)) {
      good = mid
      best = out
    } else bad = mid
  }
  return best
}
