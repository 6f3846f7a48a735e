# The worker and the API (one image, two commands). Built by docker-compose.yml and deploy/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

# Spark for the worker, by the recipes `npm start` uses: Spark's jars from Maven Central at the
# version of tools/versions.env with spark-submit's launcher (tools/build-spark.sh), and the Spark
# submitter compiled against them (tools/build-spark-submitter.sh, submitter/).
FROM maven:3.9-eclipse-temurin-17 AS spark
WORKDIR /src
COPY tools/lib.sh tools/versions.env tools/build-spark.sh tools/build-spark-submitter.sh ./tools/
COPY tools/spark ./tools/spark
COPY submitter ./submitter
RUN . tools/versions.env && COMPUTE_ORCHESTRATOR_CACHE=/cache bash tools/build-spark-submitter.sh \
  && mv "/cache/tools/spark/$SPARK_VERSION" /opt/spark && rm -f /opt/spark/.complete \
  && mv "/cache/tools/spark-submitter/$SPARK_SUBMITTER_VERSION" /opt/spark-submitter && rm -f /opt/spark-submitter/.complete

FROM node:20-bookworm-slim
# A Java runtime for the Spark submitter and spark-submit (Spark 4 needs 17 or newer). The JRE's package installs its
# man pages' links into a directory the slim image lacks.
RUN mkdir -p /usr/share/man/man1 && apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
ENV SPARK_HOME=/opt/spark
ENV SPARK_SUBMIT=/opt/spark/bin/spark-submit
ENV SPARK_SUBMITTER=/opt/spark-submitter/bin/spark-submitter
WORKDIR /app
COPY --from=spark /opt/spark /opt/spark
COPY --from=spark /opt/spark-submitter /opt/spark-submitter
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The worker reads the ClusterRoles it binds from these manifests (src/rbac-manifests.ts).
COPY deploy/rbac ./deploy/rbac
USER node
# docker-compose.yml and deploy/ choose the command: dist/worker.js or dist/api/main.js.
CMD ["node", "dist/api/main.js"]
