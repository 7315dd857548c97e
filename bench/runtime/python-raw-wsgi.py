"""The baseline for bench/runtime/python.mjs: a bare WSGI hello on the same waitress settings as the host."""
import logging
import os

import waitress


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/html; charset=UTF-8"), ("Content-Length", "5")])
    return [b"hello"]


# As the host does: otherwise waitress logs a warning for every request queued behind a busy thread, which under
# c=50 is most of them, and that logging alone costs the baseline about 15 µs of CPU per request.
logging.getLogger("waitress.queue").setLevel(logging.ERROR)
waitress.serve(hello, host="0.0.0.0", port=int(os.environ["FUNC_PORT"]), threads=int(os.environ.get("FUNC_THREADS", "10")), ident="kless", connection_limit=1000, asyncore_use_poll=True, _quiet=True)
