import { parseArgs } from 'node:util'
import { FINDING_LIST_LIMIT, isFindingCursor, listFindings, type FindingState, type FindingView } from '@postee/store'
import { connect } from '../connections.js'
import { UsageError, table, type CommandIo, type ExitCode } from '../io.js'

const STATES: readonly FindingState[] = ['open', 'fixed']

/** Usage of `postee findings`. */
export const FINDINGS_USAGE = `postee findings [--registry NAME] [--image NAME] [--state open|fixed] [--vulnerability ID] [--limit N] [--cursor C] [--json]
  Lists the finding lifecycle: each finding of each image (registry and image as the scan names
  them), open or fixed, first and last seen, when fixed and how often it came back. A page of
  --limit (1 to ${FINDING_LIST_LIMIT.max}, default ${FINDING_LIST_LIMIT.default}); the next page is printed as a --cursor to pass.`

/** `postee findings`: the finding lifecycle, as `GET /api/findings` shows it. */
export async function findingsCommand(args: readonly string[], io: CommandIo): Promise<ExitCode> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      registry: { type: 'string' },
      image: { type: 'string' },
      state: { type: 'string' },
      vulnerability: { type: 'string' },
      limit: { type: 'string', default: String(FINDING_LIST_LIMIT.default) },
      cursor: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  })
  if (values.state !== undefined && !STATES.includes(values.state as FindingState))
    throw new UsageError(`--state must be one of ${STATES.join(', ')}`)
  const limit = /^\d+$/.test(values.limit) ? Number(values.limit) : Number.NaN
  if (!(limit >= 1 && limit <= FINDING_LIST_LIMIT.max))
    throw new UsageError(`--limit must be a whole number from 1 to ${FINDING_LIST_LIMIT.max}`)
  if (values.cursor !== undefined && !isFindingCursor(values.cursor))
    throw new UsageError('--cursor must be the one a previous page printed (a number)')
  const { db, close } = connect(io.env)
  try {
    const page = await listFindings(db, {
      limit,
      ...(values.registry !== undefined ? { registry: values.registry } : {}),
      ...(values.image !== undefined ? { image: values.image } : {}),
      ...(values.state !== undefined ? { state: values.state as FindingState } : {}),
      ...(values.vulnerability !== undefined ? { vulnerability: values.vulnerability } : {}),
      ...(values.cursor !== undefined ? { cursor: values.cursor } : {}),
    })
    if (values.json) {
      io.out(JSON.stringify(page, null, 2))
      return 0
    }
    if (page.findings.length === 0) {
      io.out(values.state ? `no ${values.state} findings` : 'no findings')
      return 0
    }
    const lines = table(
      ['IMAGE', 'RESOURCE', 'VERSION', 'VULNERABILITY', 'SEVERITY', 'FIX', 'STATE', 'FIRST SEEN', 'LAST SEEN', 'FIXED AT', 'REOPENED'],
      page.findings.map((f) => [
        imageOf(f),
        f.resource,
        f.resourceVersion,
        f.vulnerability,
        f.severity,
        f.fixVersion || '-',
        f.state,
        f.firstSeen.toISOString(),
        f.lastSeen.toISOString(),
        f.fixedAt?.toISOString() ?? '-',
        String(f.timesReopened),
      ]),
    )
    lines.forEach((line) => io.out(line))
    if (page.next !== undefined) io.out(`more findings: run the same command with --cursor ${page.next}`)
    return 0
  } finally {
    await close()
  }
}

function imageOf(finding: FindingView): string {
  return finding.registry ? `${finding.registry}/${finding.image}` : finding.image
}
