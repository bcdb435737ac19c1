// The quick start's one port setting: ECHO_SINK (host:port of the echo sink) decides where the
// example config's webhook points, so the two can never disagree.

/** The default ECHO_SINK. */
export const DEFAULT_ECHO_SINK = '127.0.0.1:8099'

/**
 * The example config's POSTEE_EXAMPLE_WEBHOOK_URL for a sink listening at `echoSink`; a sink on
 * every interface (0.0.0.0:port, [::]:port, :port) is reached over loopback.
 */
export function exampleWebhookUrl(echoSink = DEFAULT_ECHO_SINK) {
  const address = echoSink.replace(/^(?:0\.0\.0\.0|\[::\])?:(\d+)$/, '127.0.0.1:$1')
  return `http://${address}/postee`
}
