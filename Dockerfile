# Build stage: install everything (dev dependencies included) and compile the TypeScript to dist/.
FROM node:24-slim AS build
WORKDIR /app
# .npmrc (yes=true) is needed: botbuilder-dialogs' postinstall runs `npx rimraf`.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# Runtime stage: production dependencies, the compiled code and the skill manifest templates.
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# rimraf is a dev dependency, so botbuilder-dialogs' postinstall has npx fetch it from the registry
# (into /root/.npm, removed here with the cache). var/ holds the outbox when SMTP_URL is unset.
RUN npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force \
    && rm -rf /root/.npm \
    && mkdir var && chown node:node var
COPY --from=build /app/dist ./dist
COPY --from=build /app/manifest ./manifest

# Code stays owned by root (read-only to the service); only var/ is writable.
USER node
EXPOSE 8080
# Slim images have no curl: Node's own fetch, on the port the service listens to.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 and handles SIGTERM itself (graceful stop within SHUTDOWN_GRACE_MS).
STOPSIGNAL SIGTERM
CMD ["node", "dist/index.js"]
