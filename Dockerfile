# syntax=docker/dockerfile:1
# One build, three small targets: ingest, dispatcher and migrate (a one-shot job).
# Built on the current Node LTS; the code also supports Node >= 20.19.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
ENV PNPM_VERSION=12.21.0 CI=true
RUN npm install -g -E "pnpm@${PNPM_VERSION}" --no-audit --no-fund
WORKDIR /src
COPY . .
RUN pnpm install --frozen-lockfile --reporter append-only \
 && pnpm build \
 && rm -rf node_modules */*/node_modules migrations/node_modules \
 && pnpm install --frozen-lockfile --prod --reporter append-only \
 && rm -rf */*/src */*/test */*/*.tsbuildinfo migrations/src

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production AQUAALERT_CFG=/config/cfg.yaml
WORKDIR /app
COPY --from=build --chown=root:root /src /app
# Runs as the image's unprivileged user; nothing is written to the root filesystem, so it can be
# mounted read-only (the self-signed HTTPS pair lives in Postgres, not on disk).
USER node

FROM runtime AS ingest
EXPOSE 8082 8445
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8082/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "services/ingest/dist/main.js"]

FROM runtime AS dispatcher
EXPOSE 8091
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8091/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "services/dispatcher/dist/main.js"]

FROM runtime AS migrate
CMD ["node", "migrations/dist/main.js"]
