import { parseArgs } from 'node:util'
import { ConfigError, isAggregated, loadConfigFile, readRuntimeEnv, type Config, type Integration } from '@postee/shared'
import { duration } from '../format.js'
import { table, type CommandIo, type ExitCode } from '../io.js'

/** Usage of `postee check-config`. */
export const CHECK_CONFIG_USAGE = `postee check-config [FILE] [--json]
  Validates cfg.yaml with the services' own validator (FILE, else AQUAALERT_CFG / POSTEE_CFG) and
  prints the integrations it resolves to with their policies. Exit 0 when valid, 1 when not.`

/** The policy chain of an integration in words, only the keys that are set. */
export function describePolicy(integration: Integration): string {
  const p = integration.policy
  const parts = [
    p.minVulnerability && `min ${p.minVulnerability}`,
    p.registries.length > 0 && `registry ∈ [${p.registries.join(', ')}]`,
    p.imageNames.length > 0 && `image ∈ [${p.imageNames.join(', ')}]`,
    p.ignoreRegistries.length > 0 && `ignore registry [${p.ignoreRegistries.join(', ')}]`,
    p.ignoreImageNames.length > 0 && `ignore image [${p.ignoreImageNames.join(', ')}]`,
    p.onlyFixAvailable && 'only fixable',
    p.nonCompliant && 'only non-compliant',
    p.showAll && 'show all (unchanged too)',
  ].filter(Boolean)
  return parts.length > 0 ? parts.join('; ') : 'every new or changed scan'
}

function describeDelivery(integration: Integration): string {
  const d = integration.delivery
  const rate = d.rateLimit ? `${d.rateLimit.max}/${duration(d.rateLimit.perMs)}` : 'unlimited'
  const { issuesNumber, timeoutMs } = integration.aggregation
  const aggregation = isAggregated(integration.aggregation)
    ? `; aggregate ${[issuesNumber && `${issuesNumber} scans`, timeoutMs && duration(timeoutMs)].filter(Boolean).join(' or ')}`
    : ''
  return `${d.attempts} attempts, timeout ${duration(d.timeoutMs)}, rate ${rate}, concurrency ${d.concurrency}${aggregation}`
}

function printConfig(config: Config, io: CommandIo): void {
  const rows = config.integrations.map((i) => [i.name, i.kind, i.enabled ? 'yes' : 'no', describePolicy(i), describeDelivery(i)])
  table(['NAME', 'TYPE', 'ENABLED', 'SENDS', 'DELIVERY'], rows).forEach((line) => io.out(line))
  const c = config.common
  io.out('')
  io.out(
    `AquaServer: ${c.aquaServer ?? '(unset: no links)'}; history: ${c.maxDbSizeBytes ? `${Math.round(c.maxDbSizeBytes / 1048576)} MB max` : 'no size limit'}, ${c.deleteOldDataDays ? `${c.deleteOldDataDays} days` : 'kept forever'}, checked every ${c.dbVerifyIntervalHours} h; ingest tokens: ${c.ingestTokens.length}; admin tokens: ${c.adminTokens.length}`,
  )
  for (const notice of config.notices) io.out(`note: ${notice}`)
}

/** `postee check-config`: the amtool check-config of this project. */
export async function checkConfigCommand(args: readonly string[], io: CommandIo): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  })
  const path = positionals[0] ?? readRuntimeEnv(io.env).configPath
  let config: Config
  try {
    config = await loadConfigFile(path, io.env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    io.err(error.message)
    return 1
  }
  if (values.json) io.out(JSON.stringify(config, null, 2))
  else {
    io.out(`${path}: valid, ${config.integrations.filter((i) => i.enabled).length} of ${config.integrations.length} integrations enabled`)
    printConfig(config, io)
  }
  return 0
}
