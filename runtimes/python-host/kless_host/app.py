"""The Bottle app: /healthz, /metrics, and every other path and method to the function."""
# Annotations stay unevaluated: the per-request closures below would otherwise build their typing objects on every call.
from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from numbers import Number
from typing import Any, Callable, Dict, Optional

import bottle
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from . import failures
from .config import Config
from .event import BadRequest, BodyTooLarge, InvalidJson, JsonTooDeep, build_events, event_type
from .failures import Failure
from .invoke import FunctionFailed, FunctionTimedOut, Invoker, Slot, TooManyRunaways
from .metrics import FunctionMetrics


def _json_response(value: Any) -> str:
    bottle.response.content_type = "application/json"
    return json.dumps(value)


def to_response(value: Any) -> Any:
    """Kyma's conversions (through bottle) for what a function returns, plus numbers as JSON text."""
    kind = type(value)
    if kind is str or kind is bytes:  # the usual result, first
        return value
    if isinstance(value, bottle.HTTPError):
        # Answered here: bottle would pass it to the app's error handler, which answers for the host's own errors.
        answer = bottle.HTTPResponse(str(value.body), value.status_line, value.headers)
        answer.content_type = failures.TEXT
        return answer
    if isinstance(value, bottle.HTTPResponse):
        return value
    if not value:
        return ""
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, (dict, Number)):
        return _json_response(value)
    if isinstance(value, (list, tuple)):
        if all(isinstance(item, (str, bytes)) for item in value):
            return b"".join(item.encode() if isinstance(item, str) else item for item in value)
        return _json_response(value)
    if hasattr(value, "read") or hasattr(value, "__next__"):
        return value  # a file or a generator: bottle streams it, as it did in Kyma
    raise TypeError("a function may not return a {}".format(type(value).__name__))


def failure_response(failure: Failure, detail: Optional[str] = None) -> bottle.HTTPResponse:
    body = failure.text(detail)
    return bottle.HTTPResponse(body, "{} {}".format(failure.status, failure.reason), failure.headers(len(body)))


def _bottle_error_page(error: bottle.HTTPError) -> bytes:
    """bottle's own errors as catalogue entries, instead of its HTML page echoing the URL.

    They are a target the routes do not match (no leading /), a path that is not UTF-8, and an exception in the
    host's own code (bottle has logged its traceback).
    """
    if error.status_code == 404:
        failure, detail = failures.BAD_TARGET, None
    elif error.status_code == 500:
        failure, detail = failures.HOST_FAILED, None
    else:
        failure, detail = failures.MALFORMED_REQUEST, str(error.body)
    bottle.response.status = "{} {}".format(failure.status, failure.reason)
    for name, value in failure.headers(len(failure.text(detail))):
        bottle.response.set_header(name, value)
    return failure.text(detail)


def _batch_value(value: Any) -> Any:
    """One result in the JSON array answering a CloudEvents batch."""
    if isinstance(value, bottle.HTTPResponse):
        body = value.body.encode() if isinstance(value.body, str) else value.body
        if value.content_type.startswith("application/json") and body:
            return json.loads(body)
        value = body
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return value


def _waitress_task(start_response: Callable[..., Any]) -> Any:
    """The waitress task answering this request, found in the closure of its start_response; None under another server.

    Looked up only when a call times out: a task class of our own that handed it over in the environ cost every
    request two Python calls in waitress's path.
    """
    for cell in getattr(start_response, "__closure__", None) or ():
        if hasattr(cell.cell_contents, "set_close_on_finish"):
            return cell.cell_contents
    return None


def _send_timeout(slot: Slot) -> None:
    """Answers 408 from the watchdog thread while the request's own thread is still inside the function.

    waitress sends a small answer only when its task ends, and this one has not: the answer is flushed here under the
    lock waitress's own threads use for that, and the connection closes once it is out, so the client does not queue
    its next request behind the runaway call.
    """
    try:
        failure = failures.FUNCTION_TIMED_OUT
        body = failure.text()
        # Before the header goes out, so it says Connection: close: a client that reused this connection would lose
        # its next request when the close comes.
        task = _waitress_task(slot.start_response)
        if task is not None:
            task.set_close_on_finish()
        write = slot.start_response("{} {}".format(failure.status, failure.reason), failure.headers(len(body)))
        write(body)
        if task is not None:
            channel = task.channel
            with channel.outbuf_lock:
                channel._flush_some()
            channel.close_when_flushed = True
            channel.server.pull_trigger()
    except Exception:  # the client may be gone; the watchdog must survive that
        traceback.print_exc(file=sys.stderr)


# The (method, path) pairs bottle's router serves; every other request whose path starts with / is the function's. A
# set, so telling them apart is one lookup and no Python call, on every request.
PLATFORM_REQUESTS = frozenset((method, path) for method in ("GET", "HEAD") for path in ("/healthz", "/metrics"))


def _thread_store(cls: type, name: str) -> threading.local:
    """The threading.local behind one of bottle's thread-local properties: bottle keeps it in the getter's closure.

    Reading and writing it directly saves a Python call per access, ten of them per request.
    """
    getter = getattr(vars(cls).get(name), "fget", None)
    for cell in getattr(getter, "__closure__", None) or ():
        if isinstance(cell.cell_contents, threading.local):
            return cell.cell_contents
    raise ImportError("bottle {} keeps {}.{} in a way kless_host does not know".format(bottle.__version__, cls.__name__, name))


_REQUEST_ENVIRON = _thread_store(bottle.LocalRequest, "environ")
_RESPONSE_STATUS_LINE = _thread_store(bottle.LocalResponse, "_status_line")
_RESPONSE_STATUS_CODE = _thread_store(bottle.LocalResponse, "_status_code")
_RESPONSE_COOKIES = _thread_store(bottle.LocalResponse, "_cookies")
_RESPONSE_HEADERS = _thread_store(bottle.LocalResponse, "_headers")
_RESPONSE_BODY = _thread_store(bottle.LocalResponse, "body")
_DEFAULT_CONTENT_TYPE = bottle.BaseResponse.default_content_type
# bottle.BaseRequest(environ) without its __init__ and __setattr__, two Python calls.
_new_request = bottle.BaseRequest.__new__
_set_request_environ = bottle.BaseRequest.environ.__set__


class HostApp(bottle.Bottle):  # type: ignore[misc]
    """bottle, with a function's calls taken past its router, hooks and plugins, which the host uses none of.

    bottle still decodes the path and binds the thread-local request and response. A text or bytes result with the
    response left as bound (status 200 OK, no header or cookie set) is answered directly, with the same status line
    and headers bottle's cast would give; any other result goes through the rest of bottle's wsgi. The skipped work
    was two fifths of the host's time per request.

    Every call gets a Slot, so either the function's own answer or the watchdog's 408 goes out, never both: once the
    call has returned its result, the request's thread holds the slot and the watchdog no longer writes.
    """

    def __init__(self, invoke: Callable[[Slot], Any]) -> None:
        super().__init__(autojson=False)
        self._invoke = invoke
        # Never called (function paths do not reach the router): they are what bottle.request.route shows a function.
        self.route("/", "ANY", _function_route)
        self._path_route = self.route("/<path:path>", "ANY", _function_route)

    def __call__(self, environ: Dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ["PATH_INFO"]
        if path[:1] != "/" or (environ["REQUEST_METHOD"], path) in PLATFORM_REQUESTS:
            return self.wsgi(environ, start_response)
        slot = Slot(start_response, environ)
        out = self._call_function(slot, path)
        if slot.timed_out:
            if hasattr(out, "close"):
                out.close()
            return []
        kind = type(out)
        if (kind is str or kind is bytes) and out and _RESPONSE_STATUS_LINE.var == "200 OK" and not _RESPONSE_HEADERS.var and _RESPONSE_COOKIES.var is None:
            body = out.encode("utf8") if kind is str else out
            start_response("200 OK", [("Content-Length", str(len(body))), ("Content-Type", _DEFAULT_CONTENT_TYPE)])
            return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]
        environ[_RESULT] = out
        return self.wsgi(environ, start_response)

    def _handle(self, environ: Dict[str, Any]) -> Any:
        # bottle's wsgi asks its _handle for the result: a function's is already there.
        if _RESULT in environ:
            return environ.pop(_RESULT)
        return super()._handle(environ)

    def _call_function(self, slot: Slot, path: str) -> Any:
        environ = slot.environ
        # What bottle's _handle sets before its router, and what the router sets for these two routes.
        environ["bottle.raw_path"] = path
        # The WSGI path is latin-1 text of the raw bytes; an ASCII one reads the same as UTF-8.
        decoded = path if path.isascii() else path.encode("latin1").decode("utf8", "ignore")
        environ["PATH_INFO"] = decoded
        environ["bottle.app"] = self
        # bottle.request.bind(environ) and bottle.response.bind(), straight into their thread-local stores, and
        # without parsing the default status line.
        _REQUEST_ENVIRON.var = environ
        _RESPONSE_COOKIES.var = None
        _RESPONSE_HEADERS.var = {}
        _RESPONSE_BODY.var = ""
        _RESPONSE_STATUS_CODE.var = 200
        _RESPONSE_STATUS_LINE.var = "200 OK"
        if len(path) > 1:
            environ["route.handle"] = environ["bottle.route"] = self._path_route
            environ["route.url_args"] = {"path": decoded[1:]}
        else:
            environ["route.handle"] = environ["bottle.route"] = self.routes[0]
            environ["route.url_args"] = {}
        try:
            out = self._invoke(slot)
        except (KeyboardInterrupt, SystemExit, MemoryError):
            raise
        except Exception as error:  # the host's own code failed: bottle's answer, which the error handler maps
            stacktrace = traceback.format_exc()
            environ["wsgi.errors"].write(stacktrace)
            environ["wsgi.errors"].flush()
            out = bottle.HTTPError(500, "Internal Server Error", error, stacktrace)
        if isinstance(out, bottle.HTTPResponse):
            out.apply(bottle.response)
        return out


# The environ key that carries a function's result from HostApp.__call__ to bottle's wsgi.
_RESULT = "kless.result"


def _function_route(path: str = "") -> None:
    raise AssertionError("function paths bypass the router")


def create_app(config: Config, invoker: Invoker, function_name: str, draining: threading.Event) -> HostApp:
    """``draining`` is set on SIGTERM: in-flight calls finish while /healthz fails, so no new traffic comes."""
    bottle.BaseRequest.MEMFILE_MAX = config.memfile_max
    metrics = FunctionMetrics(config.module_name)
    event_class = event_type(config.publisher_proxy_address, config.timeout)
    base_context = {
        "function-name": function_name,
        "timeout": config.timeout,
        "runtime": config.runtime,
        "memory-limit": config.memory_limit,
    }

    def runaways_detail() -> str:
        return "{} function calls are still running past FUNC_TIMEOUT".format(invoker.runaways)

    def count_timeout(slot: Slot) -> None:
        # On the watchdog's thread, so into that thread's series.
        series = metrics.series(slot.environ["REQUEST_METHOD"])
        series.failures += 1
        series.observe(time.perf_counter() - slot.started)
        _send_timeout(slot)

    invoker.on_timeout = count_timeout

    def invoke_function(slot: Slot) -> Any:
        environ = slot.environ
        # A request object of its own: bottle.request reaches its environ through a thread-local on every access.
        request = _new_request(bottle.BaseRequest)
        _set_request_environ(request, environ)
        environ["bottle.request"] = request
        # waitress has upper-cased the method already.
        series = metrics.series(environ["REQUEST_METHOD"])
        try:
            events, batch = build_events(request, config.memfile_max, event_class)
        except BodyTooLarge:
            return failure_response(failures.BODY_TOO_LARGE, "a JSON body may have at most FUNC_MEMFILE_MAX={} bytes".format(config.memfile_max))
        except BadRequest as error:
            return failure_response(failures.MALFORMED_CLOUDEVENT, str(error))
        except JsonTooDeep:
            return failure_response(failures.JSON_TOO_DEEP)
        except bottle.HTTPError as error:  # bottle could not read the body
            return failure_response(failures.MALFORMED_REQUEST, str(error.body))
        except InvalidJson as error:
            series.calls += 1
            series.failures += 1
            print("Invalid JSON body: {}".format(error), file=sys.stderr)
            return failure_response(failures.FUNCTION_FAILED)
        series.calls += len(events)
        try:
            if batch:
                return _json_response([_batch_value(value) for value in invoker.call_each(slot, events, base_context.copy())])
            return to_response(invoker.call(slot, events[0], base_context.copy()))
        except FunctionFailed:
            series.failures += 1
            return failure_response(failures.FUNCTION_FAILED)
        except FunctionTimedOut:
            return ""  # the watchdog has answered and counted it
        except TooManyRunaways:
            series.failures += 1
            return failure_response(failures.TOO_MANY_RUNAWAYS, runaways_detail())
        except (TypeError, ValueError) as error:
            series.failures += 1
            print("Function returned a value that cannot be sent: {}".format(error), file=sys.stderr)
            return failure_response(failures.FUNCTION_FAILED)
        finally:
            # A call refused for too many runaways never started, so it has no duration.
            if slot.started and not slot.timed_out:
                series.observe(time.perf_counter() - slot.started)

    app = HostApp(invoke_function)
    app.default_error_handler = _bottle_error_page

    @app.get("/healthz")
    def healthz() -> Any:
        if draining.is_set():
            return failure_response(failures.SHUTTING_DOWN)
        if invoker.saturated:
            return failure_response(failures.TOO_MANY_RUNAWAYS, runaways_detail())
        return "OK"

    @app.get("/metrics")
    def serve_metrics() -> Any:
        bottle.response.content_type = CONTENT_TYPE_LATEST
        return generate_latest()

    return app
