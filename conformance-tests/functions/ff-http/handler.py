# Google's functions-framework conformance client, http type, adapted to main(event, context): writes the
# request body it received to function_output.json in the working directory, where the client reads it.
# CONFORMANCE_DELAY_MS makes each call wait, as the client's concurrency check requires (>= 1 s).
import json
import os
import time


def main(event, context):
    raw = event["extensions"]["request"].body.read()
    data = event["data"]
    text = raw.decode("utf-8") if raw else data if isinstance(data, str) else json.dumps(data)
    with open(os.path.join(os.getcwd(), "function_output.json"), "w") as output:
        output.write(text)
    time.sleep(int(os.environ.get("CONFORMANCE_DELAY_MS", "0")) / 1000)
    return "OK"
