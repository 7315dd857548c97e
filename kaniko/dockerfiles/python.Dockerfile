# Builds a Python Function image on top of a kless Python runtime image.
# The controller passes the runtime's base image as BASE_IMAGE; the build context is
#   src/handler.py, src/requirements.txt   the Function's source and dependencies
#   registry-config/pip.conf                optional package-index settings (never left in the image)
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
USER root
ENV KUBELESS_INSTALL_VOLUME=/kubeless

COPY /src/requirements.txt $KUBELESS_INSTALL_VOLUME/requirements.txt
COPY /registry-config/ /etc/
# Dependencies first, so a source-only change reuses the cached install layer.
RUN pip install --no-cache-dir -r $KUBELESS_INSTALL_VOLUME/requirements.txt

COPY /src $KUBELESS_INSTALL_VOLUME
RUN rm -f /etc/pip.conf

USER 1000
