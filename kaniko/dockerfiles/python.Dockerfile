# Builds a Python Function image on top of a kless Python runtime image (images/runtime-python/Dockerfile).
# The controller passes the runtime's base image as BASE_IMAGE; the build context is
#   src/handler.py, src/requirements.txt   the Function's source and dependencies
#   registry-config/pip.conf                optional package-index settings, from the Secret serverless-package-registry-config
# Dependencies first, so a source-only change reuses the cached install layer. The index settings are read in place,
# never copied: a Secret volume holds timestamped folders that would change the layer cache key on every build, and
# the settings (with their tokens) never reach the image.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
USER root
ENV KUBELESS_INSTALL_VOLUME=/kubeless

COPY /src/requirements.txt $KUBELESS_INSTALL_VOLUME/requirements.txt
RUN PIP_CONFIG_FILE=/workspace/registry-config/pip.conf pip install --no-cache-dir -r $KUBELESS_INSTALL_VOLUME/requirements.txt

COPY /src $KUBELESS_INSTALL_VOLUME

USER 1000
