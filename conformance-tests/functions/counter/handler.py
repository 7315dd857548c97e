# Module state: counts calls since the last ?reset and how often the module itself was loaded.
import builtins

builtins.conformance_loads = getattr(builtins, "conformance_loads", 0) + 1
calls = 0


def main(event, context):
    global calls
    if "reset" in event["extensions"]["request"].query:
        calls = 0
    else:
        calls += 1
    return {"calls": calls, "loads": builtins.conformance_loads}
