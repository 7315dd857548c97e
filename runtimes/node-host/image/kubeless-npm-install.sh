#!/bin/sh
# Installs a function's declared dependencies into /kubeless/node_modules during the image build
# (the function build's Dockerfile runs it after copying the function's package.json).
set -e
export HOME=/tmp
cd "${KUBELESS_INSTALL_VOLUME:-/kubeless}"
# An optional extra npm setting, e.g. a registry, passed by the build as NPM_CONFIG_EXTRA="key value".
if [ -n "$NPM_CONFIG_EXTRA" ]; then
  # shellcheck disable=SC2086
  npm config set $NPM_CONFIG_EXTRA
fi
npm install --production --no-audit --no-fund --prefix="${KUBELESS_INSTALL_VOLUME:-/kubeless}"
