# hivewatch runs its TypeScript sources through tsx, so the image is the sources plus production dependencies.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY detection ./detection
COPY connectors ./connectors
COPY playbooks ./playbooks
COPY workers ./workers
COPY data ./data
# The replay connector records its actions here (a volume in docker-compose.yml).
RUN mkdir -p /app/.state && chown node:node /app/.state
USER node
EXPOSE 8080
# The Node flags of bin/hivewatch.js's shebang, which `node bin/hivewatch.js` would not read.
ENTRYPOINT ["node", "--max-semi-space-size=32", "bin/hivewatch.js"]
CMD ["serve"]
