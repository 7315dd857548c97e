# Builds a Node.js Function image on top of a kless Node runtime image (images/runtime-node/Dockerfile).
# The controller passes the runtime's base image as BASE_IMAGE; the build context is
#   src/handler.js, src/package.json   the Function's source and dependencies
#   registry-config/.npmrc             optional package-registry settings, from the Secret serverless-package-registry-config
# Dependencies first, so a source-only change reuses the cached install layer. The registry settings are read in
# place, never copied: a Secret volume holds timestamped folders that would change the layer cache key on every build,
# and the settings (with their tokens) never reach the image.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
USER root
ENV KUBELESS_INSTALL_VOLUME=/kubeless

COPY /src/package.json $KUBELESS_INSTALL_VOLUME/package.json
RUN cd $KUBELESS_INSTALL_VOLUME && HOME=/tmp NPM_CONFIG_USERCONFIG=/workspace/registry-config/.npmrc npm install --omit=dev --no-audit --no-fund --prefix=$KUBELESS_INSTALL_VOLUME

COPY /src $KUBELESS_INSTALL_VOLUME

USER 1000
