#!/usr/bin/env bash
# Quick start on a fresh machine with Node 20+: installs pnpm and the dependencies from the
# lockfile, builds, and starts ingest + dispatcher + an echo sink against local Postgres/Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
PNPM_VERSION=12.21.0
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  npm install -g -E "pnpm@${PNPM_VERSION}" --no-audit --no-fund
fi
pnpm install --frozen-lockfile --reporter append-only
pnpm build
exec node tools/start-local.mjs
