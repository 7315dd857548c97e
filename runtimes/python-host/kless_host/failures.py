"""The catalogue of host failures: every answer the host gives instead of the function's own, in one place.

It mirrors the Node host's catalogue (runtimes/node-host/src/failures.ts) name for name; test/host.test.ts checks
that. ``body`` is the whole answer, or its start when a detail follows after ": ". Which answers close the connection
is waitress's to decide (a WSGI app may not send ``Connection``): its own refusals and the watchdog's 408 do.
"""
from typing import List, NamedTuple, Optional, Tuple

TEXT = "text/plain; charset=utf-8"


class Failure(NamedTuple):
    name: str
    status: int
    reason: str
    body: str

    def text(self, detail: Optional[str] = None) -> bytes:
        return (self.body if detail is None else "{}: {}".format(self.body, detail)).encode("utf-8")

    def headers(self, length: int) -> List[Tuple[str, str]]:
        return [("Content-Type", TEXT), ("Content-Length", str(length))]


FUNCTION_FAILED = Failure("function-failed", 500, "Internal Server Error", "Internal Server Error")
FUNCTION_TIMED_OUT = Failure("function-timed-out", 408, "Request Timeout", "Timeout while processing the function")
HOST_FAILED = Failure("host-failed", 500, "Internal Server Error", "Internal Server Error: the runtime failed")
MALFORMED_REQUEST = Failure("malformed-request", 400, "Bad Request", "Bad Request")
BAD_TARGET = Failure("bad-target", 400, "Bad Request", "Bad Request: the request target must be a path starting with /")
MALFORMED_CLOUDEVENT = Failure("malformed-cloudevent", 400, "Bad Request", "Bad Request")
JSON_TOO_DEEP = Failure("json-too-deep", 400, "Bad Request", "Bad Request: the JSON body is nested too deeply to parse")
HEADERS_TOO_LARGE = Failure("headers-too-large", 431, "Request Header Fields Too Large", "Request Header Fields Too Large")
BODY_TOO_LARGE = Failure("body-too-large", 413, "Payload Too Large", "Payload Too Large")
# Python only: a timed-out call keeps its thread, and draining on SIGTERM fails the liveness probe.
TOO_MANY_RUNAWAYS = Failure("too-many-runaways", 503, "Service Unavailable", "Service Unavailable")
SHUTTING_DOWN = Failure("shutting-down", 503, "Service Unavailable", "Service Unavailable: shutting down")

CATALOGUE = (
    FUNCTION_FAILED,
    FUNCTION_TIMED_OUT,
    HOST_FAILED,
    MALFORMED_REQUEST,
    BAD_TARGET,
    MALFORMED_CLOUDEVENT,
    JSON_TOO_DEEP,
    HEADERS_TOO_LARGE,
    BODY_TOO_LARGE,
    TOO_MANY_RUNAWAYS,
    SHUTTING_DOWN,
)
