import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import express, { type RequestHandler, type Router } from 'express'

/** Where `pnpm build` puts the console (packages/console/dist), seen from ingest's dist/http. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../../../packages/console/dist/', import.meta.url))

// The console is one same-origin bundle: no inline script or style, nothing from elsewhere, never
// framed. The API answers JSON only, so these headers matter on /ui/ responses.
const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'Content-Security-Policy': CONSOLE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
  })
  next()
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Postee console not built</title></head>
<body><main><h1>The Postee console is not built</h1>
<p>This ingest process found no console files in <code>packages/console/dist</code>.
Run <code>pnpm build</code> in the repository (it builds the console too) and restart ingest,
or use the released container image, which includes it.</p></main></body></html>
`

/**
 * Serves the console under `/ui/`: its files, and index.html for every other path so that deep
 * links (`/ui/scans/<id>`) load the app, which then routes in the browser. When the console was
 * not built, every `/ui/` path answers 404 with a page that says how to build it.
 */
export function consoleStatic(dir: string = CONSOLE_DIST): Router {
  const router = express.Router()
  router.use(securityHeaders)
  const index = join(dir, 'index.html')
  if (!existsSync(index)) {
    router.use((_req, res) => {
      res.status(404).type('html').send(NOT_BUILT)
    })
    return router
  }
  // Vite names assets by content hash, so they never change under one name; index.html must be
  // revalidated so a new build is picked up.
  router.use('/assets', express.static(join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false }))
  // An asset of an older build is gone for good: a 404, not index.html served as a script.
  router.use('/assets', (_req, res) => {
    res.status(404).type('text/plain').send('no such console asset: reload the page to get the current build')
  })
  router.use(express.static(dir, { index: false, maxAge: 0 }))
  router.get(/.*/, (req, res) => {
    res.set('Cache-Control', 'no-cache').sendFile(index)
  })
  return router
}
