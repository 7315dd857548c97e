# Misbehaves in the way named by ?case=; without it answers 'ok', the runner's normal call.
import os
import sys
import time


def throw():
    raise RuntimeError("conformance: thrown on purpose")


def busy():
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        pass


def raise_plain():
    raise Exception()


# Python has no promises: "reject" raises like "throw", and "settles-late" returns after the timeout.
CASES = {
    "throw": throw,
    "throw-string": raise_plain,
    "reject": throw,
    "reject-empty": raise_plain,
    "settles-late": lambda: time.sleep(1.5) or "late",
    "hang": lambda: time.sleep(3),
    "busy": busy,
    "sys-exit": lambda: sys.exit(3),
    "exit": lambda: sys.exit(3),
    "os-exit": lambda: os._exit(3),
}


def main(event, context):
    name = event["extensions"]["request"].query.get("case")
    if name is None:
        return "ok"
    if name not in CASES:
        raise ValueError("errors: unknown ?case=" + name)
    return CASES[name]()
