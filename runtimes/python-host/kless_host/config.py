"""Everything the host reads from its environment, parsed and checked once at start-up."""
import os
from dataclasses import dataclass
from typing import Callable, Mapping, Optional, TypeVar

T = TypeVar("T")

# Names the function module may not take: importing it would return the host itself.
RESERVED_MODULE_NAMES = ("kless", "kless_host", "kubeless")


class ConfigError(ValueError):
    """An environment variable holds a value the host cannot run with."""


@dataclass(frozen=True)
class Config:
    port: int
    function_dir: str
    module_name: str
    handler_name: str
    timeout: float
    runtime: Optional[str]
    memory_limit: Optional[str]
    memfile_max: int
    threads: int
    runaway_limit: int
    publisher_proxy_address: Optional[str]
    access_log: bool


def _parse(env: Mapping[str, str], name: str, default: T, convert: Callable[[str], T], accept: Callable[[T], bool], expected: str) -> T:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = convert(raw.strip())
    except ValueError:
        raise ConfigError("{}={!r} is not valid: expected {}".format(name, raw, expected)) from None
    if not accept(value):
        raise ConfigError("{}={!r} is not valid: expected {}".format(name, raw, expected))
    return value


def _module_name(env: Mapping[str, str]) -> str:
    name = env.get("MOD_NAME", "").strip() or "handler"
    if name.endswith(".py"):
        name = name[: -len(".py")]
    if not name.isidentifier():
        raise ConfigError("MOD_NAME={!r} is not valid: expected a Python module name such as 'handler'".format(name))
    if name in RESERVED_MODULE_NAMES:
        raise ConfigError("MOD_NAME={!r} is reserved by the runtime; rename the function module".format(name))
    return name


def load_config(env: Mapping[str, str] = os.environ) -> Config:
    handler_name = env.get("FUNC_HANDLER", "").strip() or "main"
    if not handler_name.isidentifier():
        raise ConfigError("FUNC_HANDLER={!r} is not valid: expected a Python function name such as 'main'".format(handler_name))
    # FUNC_THREADS is ours; CHERRYPY_NUMTHREADS is what Kyma's python38 image read, kept so old settings still work.
    threads_variable = "FUNC_THREADS" if env.get("FUNC_THREADS", "").strip() else "CHERRYPY_NUMTHREADS"
    threads = _parse(env, threads_variable, 10, int, lambda n: 1 <= n <= 1000, "a whole number of threads from 1 to 1000")
    return Config(
        port=_parse(env, "FUNC_PORT", 8080, int, lambda p: 1 <= p <= 65535, "a TCP port from 1 to 65535"),
        function_dir=env.get("KUBELESS_INSTALL_VOLUME", "").strip() or "/kubeless",
        module_name=_module_name(env),
        handler_name=handler_name,
        timeout=_parse(env, "FUNC_TIMEOUT", 180.0, float, lambda s: 0 < s < float("inf"), "a positive number of seconds"),
        runtime=env.get("FUNC_RUNTIME") or None,
        memory_limit=env.get("FUNC_MEMORY_LIMIT") or None,
        memfile_max=_parse(env, "FUNC_MEMFILE_MAX", 100 * 1024 * 1024, int, lambda n: n >= 0, "a whole number of bytes"),
        threads=threads,
        runaway_limit=_parse(env, "FUNC_RUNAWAY_LIMIT", threads, int, lambda n: n >= 1, "a whole number of calls, at least 1"),
        publisher_proxy_address=env.get("PUBLISHER_PROXY_ADDRESS") or None,
        access_log=bool(env.get("KYMA_INTERNAL_LOGGER_ENABLED")),
    )
