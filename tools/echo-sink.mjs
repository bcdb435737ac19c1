#!/usr/bin/env node
// A tiny webhook receiver for the quick start: prints one line per delivery it receives.
import { createServer } from 'node:http'

const [host, port] = (process.env.ECHO_SINK ?? '127.0.0.1:8099').split(':')
createServer((req, res) => {
  const chunks = []
  req.on('data', (chunk) => chunks.push(chunk))
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8')
    let summary = `${body.length} bytes`
    try {
      const json = JSON.parse(body)
      const scans = Array.isArray(json) ? json : [json]
      summary = scans.map((scan) => `${scan.registry}/${scan.image}`).join(', ')
    } catch {}
    console.log(`echo-sink: ${req.method} ${req.url} delivery=${req.headers['x-postee-delivery']} ${summary}`)
    res.writeHead(200).end('ok')
  })
}).listen(Number(port), host, () => console.log(`echo-sink: listening on http://${host}:${port}`))
