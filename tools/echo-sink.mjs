#!/usr/bin/env node
// A tiny webhook receiver for the quick start: prints one line per delivery it receives, naming
// the image of every scan in it (Aqua, Trivy or Trivy Operator: the webhook forwards the original
// body, or a JSON array of them for an aggregated batch).
//
// ECHO_SINK=host:port is where it listens (default 127.0.0.1:8099); the example config's webhook
// URL is derived from it by tools/start-local.mjs, so that one variable moves both.
import { createServer } from 'node:http'
// The services' own parser, so every source they accept is named the way they name it.
import { parseScanBody } from '../packages/shared/dist/index.js'
import { DEFAULT_ECHO_SINK } from './local-ports.mjs'

const listen = process.env.ECHO_SINK || DEFAULT_ECHO_SINK
const separator = listen.lastIndexOf(':')
const host = listen.slice(0, separator).replace(/^\[(.*)\]$/, '$1') || '0.0.0.0'
const port = Number(listen.slice(separator + 1))

function imageOf(payload) {
  try {
    const { scan } = parseScanBody(Buffer.from(JSON.stringify(payload)))
    return scan.registry ? `${scan.registry}/${scan.image}` : scan.image
  } catch (error) {
    return `(not a scan: ${error.message})`
  }
}

function summarise(body) {
  let json
  try {
    json = JSON.parse(body)
  } catch {
    return `${body.length} bytes, not JSON`
  }
  const payloads = Array.isArray(json) ? json : [json]
  return payloads.map(imageOf).join(', ')
}

createServer((req, res) => {
  const chunks = []
  req.on('data', (chunk) => chunks.push(chunk))
  req.on('end', () => {
    const summary = summarise(Buffer.concat(chunks).toString('utf8'))
    console.log(`echo-sink: ${req.method} ${req.url} delivery=${req.headers['x-postee-delivery']} ${summary}`)
    res.writeHead(200).end('ok')
  })
}).listen(port, host, () => console.log(`echo-sink: listening on http://${host}:${port}`))
