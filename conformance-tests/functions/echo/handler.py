# Reports everything the host handed over (event fields, data as decoded, context, request) as compact JSON,
# with kinds named as the table names them (bytes are "buffer", dict "object"), so rows assert across runtimes.
import json
import os

import bottle

LONG = 2048
KINDS = {bytes: "buffer", str: "string", dict: "object", list: "array", type(None): "null", int: "number", float: "number", bool: "boolean"}


def readable(value):
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str) and len(value) > LONG:
        return "<{} long>".format(len(value))
    return value


def query_of(request):
    return {key: (values if len(values) > 1 else values[0]) for key, values in ((key, request.query.getall(key)) for key in request.query.keys())}


def main(event, context):
    request = event["extensions"]["request"]
    data = event["data"]
    fields = {key: readable(value) for key, value in event.items() if key != "extensions"}
    helpers = {name: "function" for name in ("publishCloudEvent", "buildResponseCloudEvent") if callable(getattr(event, name, None))}
    report = {
        "keys": list(event.keys()),
        "event": fields,
        "dataType": KINDS.get(type(data), type(data).__name__),
        "dataLength": len(data) if isinstance(data, (str, bytes)) else None,
        "helpers": helpers,
        "tracing": event["extensions"]["tracing"],
        "context": context,
        "env": {"MY_VAR": os.environ.get("MY_VAR")},
        "request": {
            "method": request.method,
            "path": request.path,
            "url": request.fullpath + ("?" + request.query_string if request.query_string else ""),
            "query": query_of(request),
            "headers": {name.lower(): value for name, value in request.headers.items()},
            "hasGet": False,
            "contentType": request.get_header("content-type"),
        },
    }
    return bottle.HTTPResponse(json.dumps(report, separators=(",", ":"), ensure_ascii=False), headers={"Content-Type": "application/json"})
