# Switchboard: `switchboard serve` on port 8080, PGlite data in /data, or PostgreSQL via DATABASE_URL.
#   docker build -t switchboard .
#   docker run -d -p 8080:8080 -v switchboard-data:/data switchboard
#   docker run -d -p 8080:8080 -e DATABASE_URL=postgres://user:password@host:5432/switchboard switchboard

# The Node.js version is the one pinned in .nvmrc (a test keeps the two equal).
ARG NODE_VERSION=22.23.3

# ---- build: bundle the TypeScript sources (scripts/build.js), then drop dev dependencies ----------
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.js ./scripts/build.js
COPY src ./src
RUN npm run build && npm prune --omit=dev

# ---- runtime ------------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim
WORKDIR /app
# HOST=0.0.0.0 is not a loopback address, so Host-header checks are off unless
# SWITCHBOARD_ALLOWED_HOSTS is set (keep 127.0.0.1 in it for the health check below).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    SWITCHBOARD_DATA_DIR=/data
# Application files stay owned by root (read-only for the server); only /data is writable.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 8080
# A fresh PGlite data directory takes several seconds to initialise on the first start.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/api/v1/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/switchboard.js"]
CMD ["serve"]
