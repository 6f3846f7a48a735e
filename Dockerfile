# The worker and the API (one image, two commands). Built by docker-compose.yml and deploy/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The worker reads the ClusterRoles it binds from these manifests (src/rbac-manifests.ts).
COPY deploy/rbac ./deploy/rbac
USER node
# docker-compose.yml and deploy/ choose the command: dist/worker.js or dist/api/main.js.
CMD ["node", "dist/api/main.js"]
