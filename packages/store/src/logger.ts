import { pino, type Logger } from 'pino'

/** The service logger: JSON lines on stdout. Secrets are `Secret` values, which print `<secret>`. */
export function createLogger(service: string, level: string): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Belt and braces: these keys never reach a log line even if someone logs a raw config value.
    redact: { paths: ['*.password', '*.token', '*.authorization', '*.headers.authorization', 'password', 'token'], censor: '<secret>' },
  })
}

export type { Logger } from 'pino'
