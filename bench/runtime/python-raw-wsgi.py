"""The baseline for bench/runtime/python.mjs: a bare WSGI hello on the same waitress settings as the host."""
import os

import waitress


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/html; charset=UTF-8"), ("Content-Length", "5")])
    return [b"hello"]


waitress.serve(hello, host="0.0.0.0", port=int(os.environ["FUNC_PORT"]), threads=int(os.environ.get("FUNC_THREADS", "10")), ident="kless", connection_limit=1000, asyncore_use_poll=True, _quiet=True)
