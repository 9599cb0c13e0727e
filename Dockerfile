# Both stages start from this image: Node's minor version pinned, the one CI tests on (the `node`
# development dependency). For a build that cannot change under you, pin its digest as well:
#   docker build --build-arg NODE_IMAGE=node:24.21-slim@sha256:<digest> .
# (`docker buildx imagetools inspect node:24.21-slim` prints the digest.)
ARG NODE_IMAGE=node:24.21-slim

# Build stage: install everything (dev dependencies included) and compile the TypeScript to dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# .npmrc (yes=true) lets botbuilder-dialogs' postinstall run `npx rimraf`: here the local dev dependency.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
# Only the JavaScript ships: not the source maps (nothing reads them) nor the incremental build's state.
RUN npm run build && find dist -name "*.map" -delete && rm -f dist/.tsbuildinfo

# Runtime stage: production dependencies, the compiled code and the skill manifest templates.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# No install script runs (the same install as .ci/production-install, which proves the service whole
# without them): botbuilder-dialogs' postinstall would fetch rimraf with npx, outside the lock file,
# only to remove duplicate copies of a text recognizer the service never calls. var/ holds the outbox
# when SMTP_URL is unset; group 0 may write it as its owner may, so any UID run in group 0 can
# (OpenShift's arbitrary UIDs: --user 1001:0).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force \
    && rm -rf /root/.npm \
    && mkdir var && chown node:0 var && chmod g=u var
COPY --from=build /app/dist ./dist
COPY --from=build /app/manifest ./manifest

# Code stays owned by root (read-only to the service); only var/ is writable.
USER node
EXPOSE 8080
# Slim images have no curl: Node's own fetch, on the port the service listens to. Kept by Docker's
# image format only: build with `podman build --format docker` (podman's default, OCI, drops it).
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 and handles SIGTERM itself (graceful stop within SHUTDOWN_GRACE_MS).
STOPSIGNAL SIGTERM
CMD ["node", "dist/index.js"]
