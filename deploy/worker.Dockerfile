# drydock's workers, built from this repository: dependencies installed and the
# TypeScript compiled when the image is built, not when a container starts.
# The base is overridable (DRYDOCK_WORKER_BASE): Node 20's official image by
# default; `scripts/prod-stack images` builds it on its Debian-built base
# (Node from Debian), as no image registry is reachable there.
ARG DRYDOCK_WORKER_BASE=node:20-bookworm-slim
FROM ${DRYDOCK_WORKER_BASE}
RUN command -v git >/dev/null || (apt-get update && apt-get install -y --no-install-recommends git ca-certificates \
      && rm -rf /var/lib/apt/lists/*)
WORKDIR /drydock
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN npx tsc -p tsconfig.build.json && node dist/workers/build-workflow-bundle.js \
 && npm prune --omit=dev --no-audit --no-fund --loglevel=error
ENV NODE_ENV=production DRYDOCK_DATA_DIR=/data
CMD ["node", "dist/workers/all-workers.js"]
