# syncwatch: Debian-based (chDB's native library needs glibc, so not Alpine), Node 20.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/sdk/package.json ./packages/sdk/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY packages/sdk ./packages/sdk
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=4318 \
    SYNCWATCH_DATA_DIR=/var/lib/syncwatch \
    SYNCWATCH_ALERT_RULES=/app/alert-rules
WORKDIR /app
COPY package.json package-lock.json ./
# The runner SDK is a workspace package the service reads its attribute names from.
COPY --from=build /app/packages/sdk/package.json ./packages/sdk/
COPY --from=build /app/packages/sdk/dist ./packages/sdk/dist
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY alert-rules ./alert-rules
COPY rates ./rates
COPY templates ./templates
COPY dashboards ./dashboards
# The embedded store and the ingest spool live on the volume; run as the image's non-root user.
RUN mkdir -p /var/lib/syncwatch && chown node:node /var/lib/syncwatch
USER node
VOLUME ["/var/lib/syncwatch"]
EXPOSE 4318 4317
# Follows PORT, so `-e PORT=8080` keeps the container healthy.
HEALTHCHECK --interval=30s --timeout=5s CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4318) + '/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains the ingest batcher before exit; give it time (docker stop -t 30).
STOPSIGNAL SIGTERM
CMD ["node", "bin/syncwatch.js", "serve"]
