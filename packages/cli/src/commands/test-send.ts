import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import {
  ConfigError,
  DeliveryError,
  Secret,
  loadConfigFile,
  parseScanBody,
  readRuntimeEnv,
  redactSecrets,
  type Config,
  type DeliveryBatch,
  type Integration,
} from '@postee/shared'
import { createOutput } from '@postee/dispatcher/outputs'
import { UsageError, type CommandIo, type ExitCode } from '../io.js'

/** Usage of `postee test-send`. */
export const TEST_SEND_USAGE = `postee test-send INTEGRATION [--config FILE]
  Sends a small built-in sample report (image postee/test-send:latest) through one enabled
  integration now, past its policies and the queue, and prints what the target answered. Exit 0
  when sent, 1 when the target refused it (with the reason and whether a retry could help).`

/**
 * A small Aqua image-scan webhook body: three findings of different severities, one with a fix,
 * so every output shows a header, counts and a table. Invented here: the names say it is a test.
 */
const SAMPLE_SCAN = {
  image: 'postee/test-send:latest',
  registry: 'Postee test',
  digest: 'sha256:7e57000000000000000000000000000000000000000000000000000000000000',
  previous_digest: '',
  vulnerability_summary: { total: 3, critical: 1, high: 1, medium: 1, low: 0, negligible: 0, sensitive: 0, malware: 0 },
  image_assurance_results: { disallowed: false, checks_performed: [] },
  resources: [
    {
      resource: { name: 'postee-sample-lib', version: '1.0.0' },
      vulnerabilities: [
        {
          name: 'POSTEE-TEST-0001',
          aqua_severity: 'critical',
          fix_version: '1.0.1',
          description: 'A sample finding sent by postee test-send; nothing is wrong.',
        },
        { name: 'POSTEE-TEST-0002', aqua_severity: 'high', fix_version: '', description: 'A sample finding without a fix.' },
      ],
    },
    {
      resource: { name: 'postee-sample-tool', version: '2.3.4' },
      vulnerabilities: [
        { name: 'POSTEE-TEST-0003', aqua_severity: 'medium', fix_version: '', description: 'A sample finding of medium severity.' },
      ],
    },
  ],
} as const

/** `postee test-send`: does this integration's target take our messages, right now? */
export async function testSendCommand(args: readonly string[], io: CommandIo): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, options: { config: { type: 'string' } } })
  if (positionals.length !== 1) throw new UsageError('name one integration, e.g. postee test-send chat')
  let config: Config
  try {
    config = await loadConfigFile(values.config ?? readRuntimeEnv(io.env).configPath, io.env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    io.err(error.message)
    return 1
  }
  const enabled = config.integrations.filter((i) => i.enabled)
  const integration = enabled.find((i) => i.name === positionals[0])
  const output = integration && createOutput(integration)
  const disabled = config.integrations.find((i) => !i.enabled && i.name === positionals[0])
  if (disabled) {
    io.err(
      `postee test-send: the integration "${disabled.name}" exists but is disabled (enable: false, or no enable key); set \`enable: true\` on it in the config file to send through it`,
    )
    return 2
  }
  if (!integration || !output) {
    const names = enabled.map((i) => i.name).join(', ') || 'none'
    io.err(`postee test-send: no enabled integration named "${positionals[0]}"; enabled: ${names}`)
    return 2
  }
  const timeoutMs = integration.delivery.timeoutMs
  const started = performance.now()
  try {
    const result = await output.send(
      { signal: AbortSignal.timeout(timeoutMs), timeoutMs, aquaServer: config.common.aquaServer },
      sampleBatch(),
    )
    io.out(`sent: ${result.externalId ?? 'ok'} in ${Math.round(performance.now() - started)} ms`)
    return 0
  } catch (error) {
    const failure = asDeliveryError(error)
    // Outputs redact their own errors; this is the second lock on the door.
    io.err(`failed: ${failure.reason}, retryable ${failure.retryable}: ${redactSecrets(failure.message, secretsOf(integration))}`)
    return 1
  }
}

/** A fresh batch of the sample each time: a new key, so idempotent targets create a new ticket. */
function sampleBatch(): DeliveryBatch {
  const { scan, rawBody } = parseScanBody(Buffer.from(JSON.stringify(SAMPLE_SCAN)))
  const id = randomUUID()
  return {
    key: id,
    aggregated: false,
    items: [{ deliveryId: id, scanId: id, scan, rawBody, outcome: 'new', diff: undefined, receivedAt: new Date() }],
  }
}

// The dispatcher's rule (to-bull-error.ts): anything else an output throws is a bug, but retryable.
function asDeliveryError(error: unknown): DeliveryError {
  return error instanceof DeliveryError
    ? error
    : new DeliveryError(`unexpected error: ${(error as Error).message ?? String(error)}`, 'unknown', true)
}

function secretsOf(integration: Integration): Secret[] {
  return Object.values(integration).filter((value): value is Secret => value instanceof Secret)
}
