#!/usr/bin/env node
// The benchmark's delivery target: a bare HTTP server that answers 200 at once and reports, per
// delivery id, when it arrived (wall clock, ms) — to the parent process over IPC on request.
import { createServer } from 'node:http'

const arrivals = new Map()
const server = createServer((req, res) => {
  const id = req.headers['x-postee-delivery']
  req.on('data', () => undefined)
  req.on('end', () => {
    if (typeof id === 'string' && !arrivals.has(id)) arrivals.set(id, performance.timeOrigin + performance.now())
    res.writeHead(200, { 'content-length': '2' }).end('ok')
  })
})
server.keepAliveTimeout = 65_000
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }))
process.on('message', (message) => {
  if (message === 'arrivals') process.send({ arrivals: [...arrivals] })
  if (message === 'reset') arrivals.clear()
})
