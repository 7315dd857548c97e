# Waits ?ms= milliseconds (not CPU-bound) before answering, for concurrency checks.
import time


def main(event, context):
    ms = int(event["extensions"]["request"].query.get("ms", "0"))
    time.sleep(ms / 1000)
    return "waited {}".format(ms)
