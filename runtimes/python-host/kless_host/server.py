"""Start-up: read the config, import the function, serve it on waitress, drain on SIGTERM."""
import importlib
import logging
import os
import platform
import signal
import sys
import threading
import time
import traceback
from typing import Any, Callable, NoReturn

from . import failures
from .app import PLATFORM_REQUESTS, create_app
from .config import Config, ConfigError, load_config
from .invoke import Invoker

# How long the event loop gets to flush answers already produced before the process exits.
FLUSH_GRACE_SECONDS = 2.0


def fail(message: str) -> NoReturn:
    print("kless: " + message, file=sys.stderr)
    sys.exit(1)


def load_handler(config: Config) -> Callable[..., Any]:
    # Appended, as in Kyma's image: the function's own files must not shadow the host's packages.
    sys.path.append(config.function_dir)
    candidates = [os.path.join(config.function_dir, config.module_name + ".py"), os.path.join(config.function_dir, config.module_name, "__init__.py")]
    if not any(os.path.isfile(candidate) for candidate in candidates):
        fail("function module not found: {} (MOD_NAME={!r} in KUBELESS_INSTALL_VOLUME={!r})".format(candidates[0], config.module_name, config.function_dir))
    try:
        module = importlib.import_module(config.module_name)
    except BaseException as error:  # a SyntaxError or sys.exit() while importing is a start-up failure too
        traceback.print_exc()
        fail("cannot import function module {!r} from {}: {}: {}".format(config.module_name, config.function_dir, type(error).__name__, error))
    if os.path.realpath(getattr(module, "__file__", None) or "") not in [os.path.realpath(candidate) for candidate in candidates]:
        fail("MOD_NAME={!r} names a module that already exists ({}); rename the function module".format(config.module_name, module.__file__))
    handler = getattr(module, config.handler_name, None)
    if handler is None:
        fail("function module {!r} has no {!r} (FUNC_HANDLER); define def {}(event, context)".format(config.module_name, config.handler_name, config.handler_name))
    if not callable(handler):
        fail("{}.{} is a {}, not a function".format(config.module_name, config.handler_name, type(handler).__name__))
    return handler


# waitress's own refusals (its parser's, and an exception escaping the app) by status code; 501 is an unsupported
# Transfer-Encoding, which is the client's mistake.
WAITRESS_FAILURES = {
    400: failures.MALFORMED_REQUEST,
    413: failures.BODY_TOO_LARGE,
    431: failures.HEADERS_TOO_LARGE,
    500: failures.HOST_FAILED,
    501: failures.MALFORMED_REQUEST,
}


def catalogue_channel() -> Any:
    """waitress's connection class, answering its own refusals from the catalogue, in HTTP/1.0 or 1.1 only."""
    from waitress.channel import HTTPChannel
    from waitress.parser import HTTPRequestParser, ParsingError
    from waitress.task import ErrorTask

    class CatalogueParser(HTTPRequestParser):  # type: ignore[misc]
        def parse_header(self, header_plus: bytes) -> None:
            super().parse_header(header_plus)
            if self.version not in ("1.0", "1.1"):
                # waitress cannot answer in another version, not even with an error.
                version, self.version = self.version, "1.0"
                raise ParsingError("HTTP/{} is not supported".format(version) if version else "the request line has no HTTP version")
            if self.version == "1.0" and "TRANSFER_ENCODING" in self.headers:
                # HTTP/1.0 has no chunked framing, so waitress reads no body and leaves the header for bottle, which
                # then fails to parse a body that is not there. RFC 9112 (6.1) calls such framing faulty.
                raise ParsingError("Transfer-Encoding is not allowed in HTTP/1.0")

    class CatalogueErrorTask(ErrorTask):  # type: ignore[misc]
        def execute(self) -> None:
            error = self.request.error
            failure = WAITRESS_FAILURES.get(error.code, failures.MALFORMED_REQUEST)
            detail = str(error.body).strip().rstrip(".") if failure is not failures.HOST_FAILED and error.body else None
            body = failure.text(detail)
            self.status = "{} {}".format(failure.status, failure.reason)
            self.response_headers.append(("Content-Type", failures.TEXT))
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class CatalogueChannel(HTTPChannel):  # type: ignore[misc]
        parser_class = CatalogueParser
        error_task_class = CatalogueErrorTask

        def send_continue(self) -> None:
            # A request already complete (no body, or refused) needs no 100 Continue, and after one waitress never
            # answers it.
            if self.request is None or not self.request.completed:
                super().send_continue()

    return CatalogueChannel


def platform_apart_dispatcher(call_threads: int) -> Any:
    """waitress's task dispatcher, with /healthz and /metrics served by a thread of their own.

    A probe or a scrape then answers while every call thread is busy, and never takes a thread a call needs.
    """
    from waitress.task import ThreadedTaskDispatcher

    class PlatformApartDispatcher(ThreadedTaskDispatcher):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.platform = ThreadedTaskDispatcher()
            self.platform.set_thread_count(1)
            self.set_thread_count(call_threads)

        def add_task(self, channel: Any) -> None:
            # The channel's next request, parsed; one refused by the parser has no method or path.
            request = channel.requests[0]
            if (getattr(request, "command", None), getattr(request, "path", None)) in PLATFORM_REQUESTS:
                self.platform.add_task(channel)
            else:
                super().add_task(channel)

    return PlatformApartDispatcher()


def drain_then_exit(server: Any, invoker: Invoker, deadline_seconds: float) -> None:
    """Waits for requests in progress (up to FUNC_TIMEOUT; runaway calls are not waited for), lets their answers go out, then exits 0."""
    dispatcher = server.task_dispatcher
    deadline = time.monotonic() + deadline_seconds
    while (dispatcher.active_count > invoker.runaways or dispatcher.queue) and time.monotonic() < deadline:
        time.sleep(0.02)
    flushed_by = time.monotonic() + FLUSH_GRACE_SECONDS
    while any(channel.total_outbufs_len for channel in list(server.active_channels.values())) and time.monotonic() < flushed_by:
        time.sleep(0.01)
    print("kless: stopped", flush=True)
    sys.stderr.flush()
    # Runaway function threads cannot be joined; leaving without waiting for them is the point.
    os._exit(0)


def main() -> None:
    try:
        config = load_config()
    except ConfigError as error:
        fail(str(error))
    handler = load_handler(config)

    import waitress
    from waitress import wasyncore

    # waitress warns about every queued request under load; that is normal operation for a function.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    draining = threading.Event()
    invoker = Invoker(handler, config.timeout, config.runaway_limit)
    app = create_app(config, invoker, getattr(handler, "__name__", config.handler_name), draining)
    wsgi_app: Callable[..., Any] = app
    if config.access_log:
        from .access_log import AccessLog

        wsgi_app = AccessLog(app)
    dispatcher = platform_apart_dispatcher(config.threads)
    # A runaway call keeps its thread, so each one gets a new thread for calls until it ends.
    invoker.on_runaways = lambda runaways: dispatcher.set_thread_count(config.threads + runaways)
    server = waitress.create_server(
        wsgi_app,
        _dispatcher=dispatcher,
        host="0.0.0.0",
        port=config.port,
        threads=config.threads,
        ident="kless",
        connection_limit=1000,
        # Node's limit: a request whose headers exceed 16 KiB gets 431 on every runtime.
        max_request_header_size=16 * 1024,
        asyncore_use_poll=True,
    )
    server.channel_class = catalogue_channel()

    def on_term(signum: int, _frame: Any) -> None:
        if draining.is_set():
            return
        draining.set()
        # Only the listening socket closes, so new connections are refused at once; the dispatcher's trigger stays
        # open because the worker threads wake the event loop through it while they finish.
        wasyncore.dispatcher.close(server)
        print("kless: {} received, finishing requests in progress".format(signal.Signals(signum).name), flush=True)
        threading.Thread(target=drain_then_exit, args=(server, invoker, config.timeout), daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    print(
        "kless: serving {}.{} on port {} (Python {}, {} threads)".format(
            config.module_name, config.handler_name, config.port, platform.python_version(), config.threads
        ),
        flush=True,
    )
    server.run()
