"""Runs the function with a deadline on a pool of its own, so a request can be answered while the call goes on."""
import sys
import threading
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
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


class Invoker:
    """Python cannot stop a thread, so a call that outlives FUNC_TIMEOUT stays on the pool as a runaway.

    The pool holds one thread per server thread plus ``runaway_limit`` more, so runaways never starve new calls.
    Once ``runaway_limit`` runaways are alive the host refuses calls (and /healthz fails, so Kubernetes restarts
    the pod) until some of them finish.
    """

    def __init__(self, handler: Handler, timeout: float, server_threads: int, runaway_limit: int) -> None:
        self._handler = handler
        self._timeout = timeout
        self._runaway_limit = runaway_limit
        self._runaways = 0
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=server_threads + runaway_limit, thread_name_prefix="function")

    @property
    def runaways(self) -> int:
        return self._runaways

    @property
    def saturated(self) -> bool:
        return self._runaways >= self._runaway_limit

    def call(self, event: Any, context: Dict[str, Any]) -> Any:
        if self.saturated:
            raise TooManyRunaways()
        future = self._pool.submit(_call_logging_errors, self._handler, event, context)
        try:
            return future.result(self._timeout)
        except FutureTimeout:
            if future.cancel():
                raise FunctionTimedOut() from None
            self._track_runaway(future)
            raise FunctionTimedOut() from None

    def _track_runaway(self, future: "Future[Any]") -> None:
        with self._lock:
            self._runaways += 1
        future.add_done_callback(self._runaway_finished)

    def _runaway_finished(self, _future: "Future[Any]") -> None:
        with self._lock:
            self._runaways -= 1
