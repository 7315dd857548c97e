# Google's functions-framework conformance client, cloudevent type, adapted to main(event, context): writes the
# CloudEvent it received, serialized as JSON, to function_output.json. The Kyma event has the six ce-* fields and
# data; the other attributes (subject, datacontenttype, dataschema, extensions) are read from the request.
import json
import os
import time

FIELDS = {"ce-specversion": "specversion", "ce-type": "type", "ce-source": "source", "ce-id": "id", "ce-time": "time"}
STANDARD = ("specversion", "type", "source", "id", "time", "data", "data_base64", "eventtypeversion")


def request_attributes(request):
    content_type = request.get_header("content-type", "")
    if content_type.startswith("application/cloudevents+json"):
        raw = request.body.read()
        parsed = json.loads(raw) if raw else {}
        return {key: value for key, value in parsed.items() if key not in STANDARD}
    attributes = {}
    for name, value in request.headers.items():
        key = name.lower()[3:]
        if name.lower().startswith("ce-") and key not in STANDARD:
            attributes[key] = value
    if content_type:
        attributes["datacontenttype"] = content_type
    return attributes


def main(event, context):
    out = request_attributes(event["extensions"]["request"])
    for field, attribute in FIELDS.items():
        if event[field] is not None:
            out[attribute] = event[field]
    data = event["data"]
    if isinstance(data, bytes):
        data = data.decode("utf-8") if data else None
    if data is not None:
        out["data"] = data
    with open(os.path.join(os.getcwd(), "function_output.json"), "w") as output:
        json.dump(out, output)
    time.sleep(int(os.environ.get("CONFORMANCE_DELAY_MS", "0")) / 1000)
    return "OK"
