# syntax=docker/dockerfile:1
# The Kairos service image (docs/deploy.md): production dependencies only, non-root, works
# with a read-only root file system (KAIROS_HOME and /tmp are volumes), `kairos serve`.
# BASE: any Debian-based image with Node.js 20 (default: the official one; docs/deploy.md
# says how to build one from Debian's packages where no image registry is reachable).
ARG BASE=node:20-bookworm-slim

FROM ${BASE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
RUN node bin/build.mjs

FROM ${BASE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${BASE}
ENV NODE_ENV=production \
    KAIROS_HOME=/var/lib/kairos \
    PORT=8080
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
# After src: dist/.built must be newer than every source, or bin/kairos.js falls back to tsx.
COPY --from=build /app/dist ./dist
RUN mkdir -p /var/lib/kairos && chown 10001:10001 /var/lib/kairos
USER 10001:10001
VOLUME ["/var/lib/kairos", "/tmp"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/kairos.js"]
CMD ["serve", "--host", "0.0.0.0"]
