# Stand-in for golang:<version>-bookworm: this machine's Go toolchain in /usr/local/go, GOPATH /go, as upstream.
FROM debian:bookworm-slim
ARG GO_VERSION
COPY go/ /usr/local/go/
ENV GOLANG_VERSION=${GO_VERSION} GOPATH=/go PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /go
