"""Runs the function with a deadline on a pool of its own, so a request can be answered while the call goes on."""
import queue
import sys
import threading
import traceback
from typing import Any, Callable, Dict

Handler = Callable[[Any, Dict[str, Any]], Any]


class FunctionFailed(Exception):
    """The function raised; its traceback is already on stderr."""


class FunctionTimedOut(Exception):
    """The function did not return within FUNC_TIMEOUT; it keeps running in the background."""


class TooManyRunaways(Exception):
    """As many timed-out calls as FUNC_RUNAWAY_LIMIT are still running, so no new call is started."""


def _call_logging_errors(handler: Handler, event: Any, context: Dict[str, Any]) -> Any:
    try:
        return handler(event, context)
    except BaseException:  # sys.exit() in a function must fail the call, not the server
        print("Function failed to execute:", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        raise FunctionFailed() from None


class _Call:
    """One call handed to a function thread; ``done`` is released when it has finished."""

    __slots__ = ("event", "context", "done", "value", "failed", "finished", "abandoned")

    def __init__(self, event: Any, context: Dict[str, Any]) -> None:
        self.event = event
        self.context = context
        self.done = threading.Lock()
        self.done.acquire()
        self.value: Any = None
        self.failed = False
        self.finished = False
        self.abandoned = False


class Invoker:
    """Python cannot stop a thread, so a call that outlives FUNC_TIMEOUT keeps its thread as a runaway.

    There is one function thread per server thread plus ``runaway_limit`` more, so runaways never starve new calls.
    Once ``runaway_limit`` runaways are alive the host refuses calls (and /healthz fails, so Kubernetes restarts
    the pod) until some of them finish. The hand-over is a queue and a bare lock rather than a Future: it is on
    the path of every request.
    """

    def __init__(self, handler: Handler, timeout: float, server_threads: int, runaway_limit: int) -> None:
        self._handler = handler
        self._timeout = timeout
        self._runaway_limit = runaway_limit
        self._runaways = 0
        self._lock = threading.Lock()
        self._calls: "queue.SimpleQueue[_Call]" = queue.SimpleQueue()
        for number in range(server_threads + runaway_limit):
            threading.Thread(target=self._work, name="function-{}".format(number), daemon=True).start()

    @property
    def runaways(self) -> int:
        return self._runaways

    @property
    def saturated(self) -> bool:
        return self._runaways >= self._runaway_limit

    def call(self, event: Any, context: Dict[str, Any]) -> Any:
        if self.saturated:
            raise TooManyRunaways()
        call = _Call(event, context)
        self._calls.put(call)
        if not call.done.acquire(timeout=self._timeout):
            with self._lock:
                if not call.finished:
                    call.abandoned = True
                    self._runaways += 1
                    raise FunctionTimedOut()
        if call.failed:
            raise FunctionFailed()
        return call.value

    def _work(self) -> None:
        while True:
            call = self._calls.get()
            if not call.abandoned:
                try:
                    call.value = _call_logging_errors(self._handler, call.event, call.context)
                except FunctionFailed:
                    call.failed = True
            with self._lock:
                call.finished = True
                if call.abandoned:
                    self._runaways -= 1
            call.done.release()
