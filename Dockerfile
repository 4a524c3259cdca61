# cases-access: the Slack bot, as a container image.
#
#   docker build -t cases-access .
#   docker run -d --name cases-access --env-file .env -p 3000:3000 -v cases-access-data:/app/data cases-access
#
# Node 24 LTS by default (supported until April 2028); `--build-arg NODE_VERSION=22` builds on Node 22 LTS.
# No Docker engine runs in CI: test/deploy/runtime-install.test.ts runs the runtime stage's install and start-up
# outside Docker and checks this file's key properties.

ARG NODE_VERSION=24

# ---- build: every dependency, the TypeScript compiler, dist/ ------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source where no prebuilt binary fits the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies only, the compiled bot, a non-root user ----------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# The compiler toolchain is needed only while better-sqlite3 installs: added and removed in the same layer.
# npm 10 runs the install scripts by default; npm 11 runs those that package.json's "allowScripts" allows.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && apt-get purge -y --auto-remove python3 make g++ \
 && rm -rf /var/lib/apt/lists/* /root/.cache /root/.npm /tmp/*
COPY --from=build /app/dist ./dist
# The SQLite file lives in /app/data (DATABASE_URL defaults to sqlite:./data/cases-access.db): a volume, owned by
# the unprivileged `node` user of the official image. With PostgreSQL (DATABASE_URL=postgres://…) it stays empty.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
ENV PORT=3000
# A live heap of ~30 MB: cap the old generation so V8 collects instead of growing to a few hundred MB under load.
ENV NODE_OPTIONS="--max-old-space-size=96 --max-semi-space-size=4"
EXPOSE 3000
# /healthz answers 200 only when the store is open and the bot is ready (HTTP and Socket Mode alike).
# Slim images have no curl: Node's fetch does it.
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"]
# The bot handles SIGTERM itself (docker stop): it finishes the work in progress and closes the store.
CMD ["node", "dist/index.js"]
