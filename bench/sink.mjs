#!/usr/bin/env node
// The benchmark's delivery target: a bare HTTP server that answers 200 at once and reports, per
// delivery id, when it arrived (wall clock, ms) — to the parent process over IPC on request.
// Our deliveries carry their id in X-Postee-Delivery; Alertmanager's notifications (path
// /alertmanager) carry their alerts, each identified by its `id` label.
import { createServer } from 'node:http'

const arrivals = new Map()
const arrived = (id, at) => {
  if (typeof id === 'string' && !arrivals.has(id)) arrivals.set(id, at)
}
const server = createServer((req, res) => {
  const chunks = []
  const alertmanager = req.url === '/alertmanager'
  req.on('data', (chunk) => alertmanager && chunks.push(chunk))
  req.on('end', () => {
    const at = performance.timeOrigin + performance.now()
    if (alertmanager) {
      for (const alert of JSON.parse(Buffer.concat(chunks).toString('utf8')).alerts ?? []) arrived(alert.labels?.id, at)
    } else {
      arrived(req.headers['x-postee-delivery'], at)
    }
    res.writeHead(200, { 'content-length': '2' }).end('ok')
  })
})
server.keepAliveTimeout = 65_000
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }))
process.on('message', (message) => {
  if (message === 'arrivals') process.send({ arrivals: [...arrivals] })
  if (message === 'reset') arrivals.clear()
})
