# Returns the kind of value named by ?v=, to check how the host turns return values into responses.
import datetime

import bottle

circular = {"name": "loop"}
circular["self"] = circular

VALUES = {
    "string": lambda: "hello",
    "empty-string": lambda: "",
    "undefined": lambda: None,
    "object": lambda: {"a": 1, "b": [True, None]},
    "array": lambda: [1, "two"],
    "null": lambda: None,
    "buffer": lambda: bytes([0, 1, 2, 255]),
    "number": lambda: 42,
    "bigint": lambda: 10 ** 30,
    "date": lambda: datetime.datetime(1970, 1, 1),
    "float": lambda: 1.5,
    "zero": lambda: 0,
    "boolean": lambda: True,
    "function": lambda: (lambda: None),
    "circular": lambda: circular,
    "string-list": lambda: ["a", "b"],
    "http-response": lambda: bottle.HTTPResponse(status=201, body="made", headers={"X-Made": "yes"}),
    "http-error": lambda: bottle.HTTPError(400, "bad input"),
}


def main(event, context):
    name = event["extensions"]["request"].query.get("v")
    if name is None:
        return "ok"
    if name not in VALUES:
        raise ValueError("returns: unknown ?v=" + name)
    return VALUES[name]()
