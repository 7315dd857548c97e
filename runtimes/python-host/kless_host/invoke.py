"""Runs the function on the server thread and answers 408 from a watchdog when it outlives FUNC_TIMEOUT."""
import queue
import sys
import threading
import time
import traceback
from typing import Any, Callable, Dict, List, Optional

Handler = Callable[[Any, Dict[str, Any]], Any]


class FunctionFailed(Exception):
    """The function raised; its traceback is already on stderr."""


class FunctionTimedOut(Exception):
    """The watchdog answered 408 for this call, which has now ended; its own result is dropped."""


class TooManyRunaways(Exception):
    """As many timed-out calls as FUNC_RUNAWAY_LIMIT are still running, so no new call is started."""


class Slot:
    """One request's single answer: whoever claims it first, the request's own thread or the watchdog, sends it."""

    __slots__ = ("start_response", "environ", "deadline", "timed_out", "on_timeout", "_claim")

    def __init__(self, start_response: Callable[..., Any], environ: Dict[str, Any]) -> None:
        self.start_response = start_response
        self.environ = environ
        self.deadline = 0.0
        self.timed_out = False
        self.on_timeout: Optional[Callable[["Slot"], None]] = None
        self._claim = threading.Lock()

    def claim(self) -> bool:
        return self._claim.acquire(False)


def _call_logging_errors(handler: Handler, event: Any, context: Dict[str, Any]) -> Any:
    try:
        return handler(event, context)
    except BaseException:  # sys.exit() in a function must fail the call, not the server
        print("Function failed to execute:", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        raise FunctionFailed() from None


class Invoker:
    """Calls run inline on the server's threads: a hand-over to another thread would cost a third of the throughput.

    Python cannot stop a thread, so a call that outlives FUNC_TIMEOUT keeps its server thread as a runaway while the
    watchdog answers 408 for it. The server has ``runaway_limit`` threads more than ``calls`` allows to run at once,
    so runaways never starve new calls. Once ``runaway_limit`` runaways are alive the host refuses calls (and
    /healthz fails, so Kubernetes restarts the pod) until some of them finish.
    """

    def __init__(self, handler: Handler, timeout: float, concurrent_calls: int, runaway_limit: int) -> None:
        self._handler = handler
        self._timeout = timeout
        self._runaway_limit = runaway_limit
        self._runaways = 0
        self._lock = threading.Lock()
        # Tokens in a C-level queue: cheaper per call than threading.Semaphore, which is written in Python.
        self._calls: "queue.SimpleQueue[None]" = queue.SimpleQueue()
        for _ in range(concurrent_calls):
            self._calls.put(None)
        self._active: Dict[int, Slot] = {}
        threading.Thread(target=self._watch, args=(min(0.05, timeout / 4),), name="watchdog", daemon=True).start()

    @property
    def runaways(self) -> int:
        return self._runaways

    @property
    def saturated(self) -> bool:
        return self._runaways >= self._runaway_limit

    def call(self, slot: Slot, event: Any, context: Dict[str, Any]) -> Any:
        return self._run(slot, self._handler, event, context)

    def call_each(self, slot: Slot, events: List[Any], context: Dict[str, Any]) -> List[Any]:
        """The function once per event of a batch, in order, all within one FUNC_TIMEOUT."""
        handler = self._handler
        return self._run(slot, lambda batch, each_context: [handler(event, each_context) for event in batch], events, context)

    def _run(self, slot: Slot, function: Handler, argument: Any, context: Dict[str, Any]) -> Any:
        if self.saturated:
            raise TooManyRunaways()
        self._calls.get()
        slot.deadline = time.monotonic() + self._timeout
        self._active[id(slot)] = slot
        failed = False
        try:
            value = _call_logging_errors(function, argument, context)
        except FunctionFailed:
            failed = True
        if not slot.claim():
            with self._lock:
                self._runaways -= 1
            raise FunctionTimedOut()
        del self._active[id(slot)]
        self._calls.put(None)
        if failed:
            raise FunctionFailed()
        return value

    def _watch(self, tick: float) -> None:
        while True:
            time.sleep(tick)
            now = time.monotonic()
            for slot in list(self._active.values()):
                if slot.deadline <= now and slot.claim():
                    slot.timed_out = True
                    self._active.pop(id(slot), None)
                    with self._lock:
                        self._runaways += 1
                    self._calls.put(None)
                    if slot.on_timeout is not None:
                        slot.on_timeout(slot)
