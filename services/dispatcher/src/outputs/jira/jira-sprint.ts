import { DeliveryError, type DeliveryContext, type JiraIntegration } from '@postee/shared'
import type { JiraClient } from './jira-client.js'
import { pages, type JiraFieldInfo } from './jira-metadata.js'

/**
 * The Sprint of a new issue, through the Jira Software (agile) REST API: a named sprint on the
 * configured board, or the board's active sprint when only the board is set. The value goes into
 * the Sprint custom field (schema custom `com.pyxis.greenhopper.jira:gh-sprint`) as the sprint id,
 * a number.
 * https://developer.atlassian.com/cloud/jira/software/rest/api-group-board/#api-rest-agile-1-0-board-get
 * https://developer.atlassian.com/cloud/jira/software/rest/api-group-board/#api-rest-agile-1-0-board-boardid-sprint-get
 * https://developer.atlassian.com/server/jira/platform/rest/v10005/api-group-board/
 * https://developer.atlassian.com/cloud/jira/software/rest/intro/#jira-software-field-input-formats
 */
export interface SprintResolver {
  /** `{ sprintFieldId: sprintId }`, or `{}` when no sprint applies. */
  resolve(ctx: DeliveryContext, fields: readonly JiraFieldInfo[]): Promise<Record<string, number>>
}

/** Whether the integration asks for a sprint at all (a sprint name, or a board for its active sprint). */
export function wantsSprint(integration: JiraIntegration): boolean {
  return integration.sprint !== undefined || integration.board !== undefined
}

const SPRINT_SCHEMA = 'com.pyxis.greenhopper.jira:gh-sprint'
const AGILE = '/rest/agile/1.0'

interface Board {
  readonly id: number
  readonly name: string
}

interface Sprint {
  readonly id: number
  readonly name: string
  readonly state: string
}

/** Builds the resolver; board ids (stable) are cached like field metadata, sprints (they roll over) never are. */
export function createSprintResolver(
  client: JiraClient,
  integration: JiraIntegration,
  cache: { readonly ttlMs: number; readonly now: () => number },
): SprintResolver {
  let boards: { value: readonly Board[]; at: number } | undefined
  const boardsOf = async (ctx: DeliveryContext): Promise<readonly Board[]> => {
    if (!boards || cache.now() - boards.at >= cache.ttlMs) boards = { value: await findBoards(ctx, client, integration), at: cache.now() }
    return boards.value
  }
  return {
    async resolve(ctx, fields) {
      if (!wantsSprint(integration)) return {}
      const field = fields.find((f) => f.schema?.custom === SPRINT_SCHEMA)
      if (!field) {
        throw new DeliveryError(
          'sprint: this Jira has no Sprint field (Jira Software is not installed or the field is locked away); remove sprint and board from cfg.yaml',
          'config',
          false,
        )
      }
      const sprint = await findSprint(ctx, client, integration, await boardsOf(ctx))
      return sprint === undefined ? {} : { [field.id]: sprint.id }
    },
  }
}

async function findBoards(ctx: DeliveryContext, client: JiraClient, integration: JiraIntegration): Promise<readonly Board[]> {
  const board = integration.board?.trim()
  if (board && /^\d+$/.test(board)) return [{ id: Number(board), name: board }]
  // Without a board, a named sprint is looked for on the project's scrum boards.
  const query: Record<string, string> = board ? { name: board } : { projectKeyOrId: integration.projectKey, type: 'scrum' }
  const found = await pages<Board>(ctx, client, `${AGILE}/board`, (page) => page['values'], query)
  if (!board) return found
  const exact = found.filter((b) => b.name === board)
  const matches = exact.length > 0 ? exact : found.filter((b) => b.name.toLowerCase() === board.toLowerCase())
  if (matches.length === 0) {
    const near = found.map((b) => `${b.name} (${b.id})`).join(', ')
    throw new DeliveryError(
      `board: Jira has no board named "${board}"${near ? `; boards whose name contains it: ${near}` : ''}; write the board's exact name or its id in cfg.yaml`,
      'config',
      false,
    )
  }
  return matches.slice(0, 1)
}

async function findSprint(
  ctx: DeliveryContext,
  client: JiraClient,
  integration: JiraIntegration,
  boards: readonly Board[],
): Promise<Sprint | undefined> {
  const name = integration.sprint?.trim()
  const seen: Sprint[] = []
  for (const board of boards) {
    const sprints = await sprintsOf(ctx, client, board, name !== undefined)
    seen.push(...sprints)
    const match = name === undefined ? sprints.find((s) => s.state === 'active') : byName(sprints, name)
    if (match) return match
  }
  if (name === undefined) return undefined
  const names = [...new Set(seen.map((s) => s.name))].slice(0, 30).join(', ')
  const where = boards.length === 1 ? `board ${boards[0]!.name}` : `the scrum boards of ${integration.projectKey}`
  throw new DeliveryError(
    `sprint: no active or future sprint named "${name}" on ${where}${names ? ` (there are: ${names})` : ''}; fix sprint in cfg.yaml, or remove it to use the active sprint`,
    'config',
    false,
  )
}

async function sprintsOf(ctx: DeliveryContext, client: JiraClient, board: Board, named: boolean): Promise<Sprint[]> {
  try {
    return await pages<Sprint>(ctx, client, `${AGILE}/board/${board.id}/sprint`, (page) => page['values'], { state: 'active,future' })
  } catch (error) {
    // A kanban board answers 400 "The board does not support sprints": with no sprint named, the
    // issue simply goes without one; a named sprint on such a board is the config error Jira states.
    if (!named && error instanceof DeliveryError && error.reason === 'client-error') return []
    throw error
  }
}

function byName(sprints: readonly Sprint[], name: string): Sprint | undefined {
  return sprints.find((s) => s.name === name) ?? sprints.find((s) => s.name.toLowerCase() === name.toLowerCase())
}
