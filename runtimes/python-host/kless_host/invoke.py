"""Runs the function on the server thread and answers 408 from a watchdog when it outlives FUNC_TIMEOUT."""
import sys
import threading
import time
import traceback
from typing import Any, Callable, Dict, List

Handler = Callable[[Any, Dict[str, Any]], Any]


class FunctionFailed(Exception):
    """The function raised; its traceback is already on stderr."""


class FunctionTimedOut(Exception):
    """The watchdog answered 408 for this call, which has now ended; its own result is dropped."""


class TooManyRunaways(Exception):
    """As many timed-out calls as FUNC_RUNAWAY_LIMIT are still running, so no new call is started."""


class Slot:
    """One request's single answer: whoever claims it first, the request's own thread or the watchdog, sends it.

    The claim is taking the slot out of the invoker's active calls: one ``dict.pop`` under the GIL, so exactly one
    side gets it, without a lock to allocate per request.
    """

    __slots__ = ("start_response", "environ", "started", "deadline", "timed_out")

    def __init__(self, start_response: Callable[..., Any], environ: Dict[str, Any]) -> None:
        self.start_response = start_response
        self.environ = environ
        self.started = 0.0
        self.deadline = 0.0
        self.timed_out = False


class Invoker:
    """Calls run inline on the server's threads: a hand-over to another thread would cost a third of the throughput.

    Python cannot stop a thread, so a call that outlives FUNC_TIMEOUT keeps its server thread as a runaway while the
    watchdog answers 408 for it. ``on_runaways`` hears of every change in their number, so the server can start a
    thread for each runaway and stop it when the runaway ends: runaways never take a thread a new call needs. Once
    ``runaway_limit`` runaways are alive the host refuses calls (and /healthz fails, so Kubernetes restarts the pod)
    until some of them finish.
    """

    def __init__(self, handler: Handler, timeout: float, runaway_limit: int) -> None:
        self._handler = handler
        self._timeout = timeout
        self._runaway_limit = runaway_limit
        self._runaways = 0
        self._lock = threading.Lock()
        self._active: Dict[int, Slot] = {}
        # Called on the watchdog's thread with the slot it has claimed; the app answers 408 through it.
        self.on_timeout: Callable[[Slot], None] = lambda slot: None
        # Called with the new number of runaways, under a lock, so the calls arrive in order.
        self.on_runaways: Callable[[int], None] = lambda runaways: None
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
        if self._runaways >= self._runaway_limit:
            raise TooManyRunaways()
        slot.started = started = time.perf_counter()
        slot.deadline = started + self._timeout
        active = self._active
        key = id(slot)
        active[key] = slot
        try:
            value = function(argument, context)
        except BaseException:  # sys.exit() in a function must fail the call, not the server
            print("Function failed to execute:", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            value = _FAILED
        if active.pop(key, None) is None:
            # The watchdog took the slot; it may not have marked it yet, and the answer must not go out twice.
            slot.timed_out = True
            with self._lock:
                self._runaways -= 1
                self.on_runaways(self._runaways)
            raise FunctionTimedOut()
        if value is _FAILED:
            raise FunctionFailed()
        return value

    def _watch(self, tick: float) -> None:
        active = self._active
        while True:
            time.sleep(tick)
            now = time.perf_counter()
            for key, slot in list(active.items()):
                if slot.deadline <= now and active.pop(key, None) is not None:
                    slot.timed_out = True
                    with self._lock:
                        self._runaways += 1
                        self.on_runaways(self._runaways)
                    self.on_timeout(slot)


# What _run holds instead of a value when the function raised: None is a value a function may return.
_FAILED = object()
