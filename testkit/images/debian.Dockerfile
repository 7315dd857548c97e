# Stand-in for debian:bookworm-slim: a debootstrap'ed Debian minbase (testkit/src/images/bases.ts makes the tree).
# TEST ONLY: it carries this machine's CA bundle, so builds on it reach the package registries through the
# machine's TLS proxy; images meant for users are built on the real upstream base and never carry it.
FROM scratch
COPY root/ /
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    GIT_SSL_CAINFO=/etc/ssl/certs/ca-certificates.crt \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
CMD ["bash"]
