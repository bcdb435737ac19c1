# syntax=docker/dockerfile:1
# One build, three small targets that share every layer but the last:
#   docker build --target ingest     -t postee/ingest .      (HTTP 8082, HTTPS 8445)
#   docker build --target dispatcher -t postee/dispatcher .  (health and metrics 8091)
#   docker build --target migrate    -t postee/migrate .     (one-shot: brings the schema up to date)
# `runtime` is their common base (the compose file runs the echo sink from it).
#
# Built on the current Node LTS; the code also supports Node >= 20.19 (kysely 0.29 prefers 22).
# Checked offline by tools/check-deploy.sh (dockerfile-utils, the VS Code Docker linter), since no
# Docker engine or hadolint is available where it runs.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
ENV PNPM_VERSION=12.21.0 CI=true
# pnpm is pinned like .ci/run pins it (there is no "packageManager" field to let corepack pick it).
RUN npm install -g -E "pnpm@${PNPM_VERSION}" --no-audit --no-fund
WORKDIR /src
# Dependencies first: this layer stays cached until the lockfile or the workspace settings
# (allowBuilds, overrides) change, not on every source edit.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch --reporter append-only
COPY . .
# `pnpm build` also builds the operator console (Vite) into packages/console/dist, which ingest
# serves under /ui/; the runtime stage copies it with the rest (its sources are dropped below).
RUN pnpm install --frozen-lockfile --offline --reporter append-only \
 && pnpm build \
 && test -f packages/console/dist/index.html
# Prune to what runs: drop every node_modules and reinstall only the production dependencies of
# the runnable packages (ingest, dispatcher, the operator CLI and, through them, migrations,
# shared and store). --filter-prod follows dependencies, not devDependencies, so the test kit and
# testcontainers stay out. (`pnpm deploy` works too, but gives one tree per service with other
# paths; this keeps the repository layout the README and the contract name, and one shared layer.)
# Then drop sources, tests, build info and the test kit.
RUN rm -rf node_modules services/*/node_modules packages/*/node_modules migrations/node_modules \
 && pnpm install --frozen-lockfile --offline --prod --reporter append-only \
      --filter-prod '@postee/ingest...' --filter-prod '@postee/dispatcher...' --filter-prod '@postee/cli...' \
 && rm -rf services/*/src services/*/test packages/*/src packages/*/test migrations/src \
      packages/testkit ./*.tsbuildinfo services/*/*.tsbuildinfo packages/*/*.tsbuildinfo migrations/*.tsbuildinfo

FROM ${NODE_IMAGE} AS runtime
# A heap limit that keeps peak RSS well under the 384 MiB container limit (measured in bench/).
ENV NODE_ENV=production AQUAALERT_CFG=/config/cfg.yaml NODE_OPTIONS=--max-old-space-size=160
WORKDIR /app
# Owned by root and not writable by the process: the code cannot be changed at run time.
COPY --from=build --chown=root:root /src /app
# The image's unprivileged `node` user, by number so that Kubernetes' runAsNonRoot can verify it.
# The services write nothing to disk (logs go to stdout, the self-signed HTTPS pair is kept in
# Postgres), so the root filesystem can be mounted read-only; /tmp is the only place that may need
# to be writable (a tmpfs in compose, an emptyDir in Kubernetes).
USER 1000:1000

FROM runtime AS ingest
EXPOSE 8082 8445
# Probes the HTTP port the contract names (AQUAALERT_URL); change both together.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8082/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "services/ingest/dist/main.js"]

FROM runtime AS dispatcher
EXPOSE 8091
# Probes POSTEE_DISPATCHER_HTTP's default port. On SIGTERM the dispatcher drains for up to
# POSTEE_DRAIN_GRACE_MS (20 s): give it a longer stop timeout (compose: stop_grace_period).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8091/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "services/dispatcher/dist/main.js"]

FROM runtime AS migrate
# A one-shot job: it exits 0 when the schema is up to date, so there is nothing to health-check.
HEALTHCHECK NONE
CMD ["node", "migrations/dist/main.js"]
