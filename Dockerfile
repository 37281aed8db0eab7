# CIPolicE as a container image: `docker run --rm -v "$PWD:/work" -w /work cipolice check IMAGE --report trivy.json`.
# Built from this repository; the build needs only the npm registry.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
COPY bin ./bin
COPY policies ./policies
COPY examples ./examples
# --ignore-scripts: the build is run explicitly; no install script is needed for the runtime dependencies.
# npm run build = tsc, then the CLI bundle and its V8 code cache (made here, on the runtime's Node and flags).
RUN npm ci --ignore-scripts && npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY policies ./policies
USER node
# The same Node flag as bin/cipolice.cjs's first line (a larger young generation for large reports).
ENTRYPOINT ["node", "--max-semi-space-size=32", "/app/bin/cipolice.cjs"]
CMD ["--help"]
