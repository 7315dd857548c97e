# Stand-in for python:<version>-slim with the upstream image's contract: python, python3, pip on PATH under
# /usr/local, no extra users. The interpreter is this machine's pyenv build of exactly that version.
FROM debian:bookworm-slim
ARG PYTHON_VERSION
COPY python/ /usr/local/
# pyenv's console scripts point at their build prefix; upstream's run the interpreter on PATH.
RUN ldconfig \
    && for tool in pip pip3; do printf '#!/bin/sh\nexec python3 -m pip "$@"\n' > /usr/local/bin/$tool && chmod 755 /usr/local/bin/$tool; done \
    && ln -sf python3 /usr/local/bin/python
ENV PYTHON_VERSION=${PYTHON_VERSION}
CMD ["python3"]
