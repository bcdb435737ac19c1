import { defineConfig } from 'vite'

// Served by ingest under /ui/ (services/ingest/src/http/console-static.ts). No preset plugin:
// Preact's automatic JSX runtime is all the build needs.
export default defineConfig({
  base: '/ui/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Everything ships as files under /ui/assets: nothing inlined as data: URLs into scripts.
    assetsInlineLimit: 0,
    // No modulepreload polyfill: every supported browser has it, and it would be an extra script.
    modulePreload: { polyfill: false },
  },
})
