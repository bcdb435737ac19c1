import type { Integration, Output, OutputKind } from '@postee/shared'
import { createWebhookOutput } from './webhook/webhook-output.js'

type Factories = { readonly [K in OutputKind]?: (integration: Extract<Integration, { kind: K }>) => Output }

// One line per output kind.
const FACTORIES: Factories = {
  webhook: createWebhookOutput,
}

/** The kinds this build can deliver to. */
export function supportedKinds(): OutputKind[] {
  return Object.keys(FACTORIES) as OutputKind[]
}

/** Builds the Output of an integration, or undefined when its kind has no definition yet. */
export function createOutput(integration: Integration): Output | undefined {
  const factory = FACTORIES[integration.kind] as ((i: Integration) => Output) | undefined
  return factory?.(integration)
}
