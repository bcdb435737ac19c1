import type { Integration, Output, OutputKind } from '@postee/shared'
import { createWebhookOutput } from './webhook/webhook-output.js'
import { createJiraOutput } from './jira/jira-output.js'
import { createSplunkOutput } from './splunk/splunk-output.js'
import { createServiceNowOutput } from './servicenow/servicenow-output.js'
import { createSlackOutput } from './slack/slack-output.js'
import { createTeamsOutput } from './teams/teams-output.js'
import { createEmailOutput } from './email/email-output.js'

type Factories = { readonly [K in OutputKind]?: (integration: Extract<Integration, { kind: K }>) => Output }

// One line per output kind.
const FACTORIES: Factories = {
  webhook: createWebhookOutput,
  jira: createJiraOutput,
  splunk: createSplunkOutput,
  serviceNow: createServiceNowOutput,
  slack: createSlackOutput,
  teams: createTeamsOutput,
  email: createEmailOutput,
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
