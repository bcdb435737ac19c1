/**
 * `pnpm chaos` (after `pnpm build`): the chaos run of chaos/harness.ts, short profile by default,
 * `--long` for a few minutes of it. Prints the figures table (Markdown) on stdout, progress on
 * stderr; exits 1 when an acknowledged scan was lost or a process died on its own.
 * DATABASE_URL (an admin connection to a Postgres the run may create a database on; default
 * postgres://postgres@127.0.0.1:5432/postgres) as for the tests; Redis is the run's own.
 */
import { runFromCommandLine } from './harness.js'

process.exitCode = await runFromCommandLine(process.argv.slice(2))
