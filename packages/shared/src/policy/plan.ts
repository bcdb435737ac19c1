import type { Integration } from '../config/types.js'
import type { Scan, ScanOutcome } from '../scan/model.js'
import { evaluatePolicies, type PolicyDecision } from './evaluate.js'

/** The routing decision for one integration: whether the scan goes to it, and if not, why. */
export interface RoutingDecision {
  readonly integration: Integration
  readonly decision: PolicyDecision
}

/** Evaluates every enabled integration's policy chain for a scan, in config order. */
export function routeScan(integrations: readonly Integration[], scan: Scan, outcome: ScanOutcome): RoutingDecision[] {
  return integrations
    .filter((integration) => integration.enabled)
    .map((integration) => ({ integration, decision: evaluatePolicies(scan, outcome, integration.policy) }))
}
