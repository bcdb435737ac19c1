import { readFileSync } from 'node:fs'
import type { Readable } from 'node:stream'
import { got, type Response } from 'got'
import { classifyHttpStatus, classifyNetworkError, redactSecrets, type DeliveryContext, type Secret } from '@postee/shared'

/**
 * How every HTTP output introduces itself, so a target's logs and allow-lists name this service
 * rather than got. The version is the dispatcher package's (read from src/ and dist/ alike).
 */
export const USER_AGENT = `postee-ts/${(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version}`

/** One HTTP call an output makes. */
export interface OutputRequest {
  readonly method: 'GET' | 'POST' | 'PUT'
  readonly url: string
  readonly headers?: Record<string, string>
  /** Text, or a stream (sent chunked: a large webhook body is never held whole). */
  readonly body?: string | Readable
  readonly tlsVerify: boolean
  /** Values to strip from any error text (credentials, the webhook URL). */
  readonly secrets: readonly (Secret | undefined)[]
  /**
   * Turns a non-2xx body into the error detail, for targets whose error bodies are structured
   * (Jira's `{ errorMessages, errors }`); the detail is redacted afterwards. Default: the body.
   */
  readonly describeError?: (body: string) => string
}

/**
 * Makes one HTTP call for an output and returns the response when it is 2xx; every other outcome
 * becomes a DeliveryError (via the one classifier), with secrets removed from its message. No
 * retries here: retrying is the dispatcher's job.
 */
export async function callTarget(ctx: DeliveryContext, request: OutputRequest): Promise<Response<string>> {
  let response: Response<string>
  try {
    response = await got(request.url, {
      method: request.method,
      headers: { 'user-agent': USER_AGENT, ...request.headers },
      ...(request.body !== undefined ? { body: request.body } : {}),
      signal: ctx.signal,
      timeout: { request: ctx.timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      https: { rejectUnauthorized: request.tlsVerify },
    })
  } catch (error) {
    const failure = classifyNetworkError(error, ctx.signal.aborted || (error as { code?: string }).code === 'ETIMEDOUT')
    failure.message = redactSecrets(failure.message, request.secrets)
    throw failure
  }
  const failure = classifyHttpStatus(
    response.statusCode,
    response.headers['retry-after'],
    redactSecrets(request.describeError ? request.describeError(response.body) : response.body.slice(0, 2_000), request.secrets),
  )
  if (failure) throw failure
  return response
}
