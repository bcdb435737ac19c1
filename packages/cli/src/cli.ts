import { ConfigError } from '@postee/shared'
import { CHECK_CONFIG_USAGE, checkConfigCommand } from './commands/check-config.js'
import { DELIVERIES_USAGE, deliveriesCommand } from './commands/deliveries.js'
import { EXPLAIN_USAGE, explainCommand } from './commands/explain.js'
import { FINDINGS_USAGE, findingsCommand } from './commands/findings.js'
import { MIGRATE_USAGE, migrateCommand } from './commands/migrate.js'
import { REPLAY_USAGE, replayCommand } from './commands/replay.js'
import { TEST_SEND_USAGE, testSendCommand } from './commands/test-send.js'
import { UsageError, type CommandIo, type ExitCode } from './io.js'

type Command = (args: readonly string[], io: CommandIo) => Promise<ExitCode>

// One line per command.
const COMMANDS: Record<string, { readonly run: Command; readonly usage: string }> = {
  'check-config': { run: checkConfigCommand, usage: CHECK_CONFIG_USAGE },
  explain: { run: explainCommand, usage: EXPLAIN_USAGE },
  'test-send': { run: testSendCommand, usage: TEST_SEND_USAGE },
  deliveries: { run: deliveriesCommand, usage: DELIVERIES_USAGE },
  findings: { run: findingsCommand, usage: FINDINGS_USAGE },
  replay: { run: replayCommand, usage: REPLAY_USAGE },
  migrate: { run: migrateCommand, usage: MIGRATE_USAGE },
}

const HELP = `postee: the operator's command line. It reads the same environment as the services
(DATABASE_URL, REDIS_URL, POSTEE_QUEUE_PREFIX, AQUAALERT_CFG).

${Object.values(COMMANDS)
  .map((command) => command.usage)
  .join('\n\n')}`

/** Runs one command line; returns the exit code. */
export async function run(argv: readonly string[], io: CommandIo): Promise<ExitCode> {
  const [name, ...args] = argv
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    io.out(HELP)
    return name ? 0 : 2
  }
  const command = COMMANDS[name]
  if (!command) {
    io.err(`postee: unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')} (postee help)`)
    return 2
  }
  try {
    return await command.run(args, io)
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`postee ${name}: ${(error as Error).message}\n\n${command.usage}`)
      return 2
    }
    if (error instanceof ConfigError) {
      io.err(error.message)
      return 1
    }
    io.err(`postee ${name} failed: ${(error as Error).message}`)
    return 1
  }
}
