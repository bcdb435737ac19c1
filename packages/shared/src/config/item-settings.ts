import { Secret } from '../secret.js'
import { SEVERITIES } from '../scan/model.js'
import { AGGREGATION_KEYS, COMMON_KEYS, CONFIG_DEFAULTS, DELIVERY_DEFAULTS, DELIVERY_KEYS, POLICY_KEYS } from './keys.js'
import { parseDuration, parseRateLimit, parseSize } from './units.js'
import type { ItemReader } from './item-reader.js'
import type { AggregationSettings, CommonSettings, DeliverySettings, OutputKind, PolicySettings } from './types.js'

/** Reads the seed's policy keys of one integration. */
export function readPolicy(r: ItemReader): PolicySettings {
  return {
    minVulnerability: r.choice(POLICY_KEYS.minVulnerability, SEVERITIES),
    registries: r.list(POLICY_KEYS.registry),
    imageNames: r.list(POLICY_KEYS.imageName),
    ignoreRegistries: r.list(POLICY_KEYS.ignoreRegistry),
    ignoreImageNames: r.list(POLICY_KEYS.ignoreImageName),
    onlyFixAvailable: r.bool(POLICY_KEYS.onlyFixAvailable, false),
    nonCompliant: r.bool(POLICY_KEYS.nonCompliant, false),
    showAll: r.bool(POLICY_KEYS.showAll, false),
  }
}

/** Reads the seed's aggregation keys; a count of 1 and a window of 0 both mean "not aggregated". */
export function readAggregation(r: ItemReader): AggregationSettings {
  const count = r.int(AGGREGATION_KEYS.issuesNumber, 1, 1)
  const timeoutMs = r.unit(AGGREGATION_KEYS.issuesTimeout, parseDuration, 0)
  return { issuesNumber: count > 1 ? count : undefined, timeoutMs: timeoutMs > 0 ? timeoutMs : undefined }
}

/** Reads our delivery additions over the output kind's defaults (keys.ts DELIVERY_DEFAULTS). */
export function readDelivery(r: ItemReader, kind: OutputKind): DeliverySettings {
  const defaults = DELIVERY_DEFAULTS[kind]
  const backoffBaseMs = r.unit(DELIVERY_KEYS.backoff, parseDuration, defaults.backoffBaseMs)
  let backoffCapMs = r.unit(DELIVERY_KEYS.backoffMax, parseDuration, defaults.backoffCapMs)
  if (backoffCapMs < backoffBaseMs) {
    // Only an explicit backoff-max is wrong here; a large backoff simply raises the default cap.
    if (r.has(DELIVERY_KEYS.backoffMax)) {
      r.report(DELIVERY_KEYS.backoffMax, `is shorter than ${r.written(DELIVERY_KEYS.backoff)}; make it at least as long`)
    }
    backoffCapMs = backoffBaseMs
  }
  let timeoutMs = r.unit(DELIVERY_KEYS.timeout, parseDuration, defaults.timeoutMs)
  if (timeoutMs <= 0) {
    r.report(DELIVERY_KEYS.timeout, 'must be longer than 0; write e.g. 30s')
    timeoutMs = defaults.timeoutMs
  }
  return {
    concurrency: r.int(DELIVERY_KEYS.concurrency, defaults.concurrency, 1),
    attempts: r.int(DELIVERY_KEYS.retries, defaults.attempts, 1),
    backoffBaseMs,
    backoffCapMs,
    timeoutMs,
    rateLimit: r.unit(DELIVERY_KEYS.rateLimit, (value) => parseRateLimit(String(value)), defaults.rateLimit),
  }
}

/** The global settings when cfg.yaml has no `type: common` item. */
export function defaultCommonSettings(): CommonSettings {
  return {
    aquaServer: undefined,
    maxDbSizeBytes: undefined,
    deleteOldDataDays: undefined,
    dbVerifyIntervalHours: CONFIG_DEFAULTS.dbVerifyIntervalHours,
    ingestTokens: [],
    adminTokens: [],
    ingestHmacSecrets: [],
    maxBodyBytes: CONFIG_DEFAULTS.maxBodyBytes,
  }
}

/** Reads the `type: common` item. Zero for Max_DB_Size or Delete_Old_Data means off, as it did in Postee. */
export function readCommon(r: ItemReader): CommonSettings {
  const maxDbSize = r.unit(COMMON_KEYS.maxDbSize, parseSize, 0)
  const deleteOldData = r.int(COMMON_KEYS.deleteOldData, 0, 0)
  let maxBodyBytes = r.unit(COMMON_KEYS.maxBodySize, parseSize, CONFIG_DEFAULTS.maxBodyBytes)
  if (maxBodyBytes <= 0) {
    r.report(COMMON_KEYS.maxBodySize, 'must be larger than 0; write e.g. 20MB')
    maxBodyBytes = CONFIG_DEFAULTS.maxBodyBytes
  }
  return {
    // Stored without a trailing slash so links can always be built as `${aquaServer}/#/images/...`.
    aquaServer: r.url(COMMON_KEYS.aquaServer)?.replace(/\/+$/, ''),
    maxDbSizeBytes: maxDbSize > 0 ? maxDbSize : undefined,
    deleteOldDataDays: deleteOldData > 0 ? deleteOldData : undefined,
    dbVerifyIntervalHours: r.positiveNumber(COMMON_KEYS.dbVerifyInterval, CONFIG_DEFAULTS.dbVerifyIntervalHours),
    ingestTokens: r.list(COMMON_KEYS.ingestToken).map((token) => new Secret(token)),
    adminTokens: r.list(COMMON_KEYS.adminToken).map((token) => new Secret(token)),
    maxBodyBytes,
    ingestHmacSecrets: r.list(COMMON_KEYS.ingestHmacSecret).map((secret) => new Secret(secret)),
  }
}
