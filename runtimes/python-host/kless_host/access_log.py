"""The Apache combined access log Kyma's runtime wrote when KYMA_INTERNAL_LOGGER_ENABLED was set."""
import sys
import time
from typing import Any, Callable, Iterable, List


class AccessLog:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        captured: List[str] = []

        def capture(status: str, headers: List[Any], *rest: Any) -> Any:
            captured.append(status.split(" ", 1)[0])
            captured.append(next((value for name, value in headers if name.lower() == "content-length"), "-"))
            return start_response(status, headers, *rest)

        body = self._app(environ, capture)
        target = environ.get("PATH_INFO", "") + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
        status, size = captured if captured else ("-", "-")
        line = '{} - - [{}] "{} {} {}" {} {} "{}" "{}"'.format(
            environ.get("REMOTE_ADDR", "-"),
            time.strftime("%d/%b/%Y:%H:%M:%S %z"),
            environ.get("REQUEST_METHOD"),
            target,
            environ.get("SERVER_PROTOCOL"),
            status,
            size,
            environ.get("HTTP_REFERER", "-"),
            environ.get("HTTP_USER_AGENT", "-"),
        )
        print(line, file=sys.stdout, flush=True)
        return body
