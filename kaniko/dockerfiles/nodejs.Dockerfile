# Builds a Node.js Function image on top of a kless Node runtime image (runtimes/<version>/Dockerfile).
# The controller passes the runtime's base image as BASE_IMAGE; the build context is
#   src/handler.js, src/package.json   the Function's source and dependencies
#   registry-config/.npmrc             optional package-registry settings (the directory may be empty; never left in the image)
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
USER root
ENV KUBELESS_INSTALL_VOLUME=/kubeless

COPY /src/package.json $KUBELESS_INSTALL_VOLUME/package.json
COPY /registry-config/ $KUBELESS_INSTALL_VOLUME/
# Dependencies first, so a source-only change reuses the cached install layer.
RUN cd $KUBELESS_INSTALL_VOLUME && HOME=/tmp npm install --omit=dev --no-audit --no-fund --prefix=$KUBELESS_INSTALL_VOLUME

COPY /src $KUBELESS_INSTALL_VOLUME
RUN rm -f $KUBELESS_INSTALL_VOLUME/.npmrc

USER 1000
