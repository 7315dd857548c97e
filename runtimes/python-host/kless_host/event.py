"""Turns a bottle request into the ``event`` a function receives, and the helpers that event carries."""
import base64
import json
import re
from typing import Any, Dict, List, Optional, Tuple, Type

import bottle

STRUCTURED_ATTRIBUTES = (
    ("ce-type", "type"),
    ("ce-source", "source"),
    ("ce-eventtypeversion", "eventtypeversion"),
    ("ce-specversion", "specversion"),
    ("ce-id", "id"),
    ("ce-time", "time"),
)
# W3C trace context, B3 (single and multi header) and Envoy's request id: what a mesh needs forwarded.
TRACE_HEADERS = (
    "traceparent",
    "tracestate",
    "b3",
    "x-b3-traceid",
    "x-b3-spanid",
    "x-b3-parentspanid",
    "x-b3-sampled",
    "x-b3-flags",
    "x-request-id",
)
_TRACE_ENVIRON_KEYS = tuple((name, "HTTP_" + name.upper().replace("-", "_")) for name in TRACE_HEADERS)
_TRACE_KEYS = frozenset(key for _, key in _TRACE_ENVIRON_KEYS)


RFC3339 = re.compile(r"^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$")


class BadRequest(Exception):
    """The request cannot become an event (malformed structured CloudEvent); answered with 400."""


class BodyTooLarge(Exception):
    """A body that has to be parsed is larger than FUNC_MEMFILE_MAX; answered with 413."""


class JsonTooDeep(Exception):
    """A JSON body nests deeper than the parser's recursion allows; it is valid JSON, so not a failed call."""


class InvalidJson(Exception):
    """A body declared as JSON does not parse; answered with 500 like Kyma's runtime."""


class Event(dict):
    """The dict Kyma functions index (``event['data']``) plus the 1.24 helper methods."""

    __slots__ = ()
    # Set once per process on the subclass event_type() makes, so no event carries them itself.
    _publisher_address: Optional[str] = None
    _timeout: float = 0.0

    def publishCloudEvent(self, cloud_event: Dict[str, Any]) -> int:
        """POSTs a structured CloudEvent to PUBLISHER_PROXY_ADDRESS, forwarding the trace headers; returns the status."""
        if not self._publisher_address:
            raise RuntimeError("publishCloudEvent needs PUBLISHER_PROXY_ADDRESS to be set")
        # Imported on first use: urllib.request costs tens of milliseconds of start-up for a rarely used helper.
        import urllib.error
        import urllib.request

        headers = {"Content-Type": "application/cloudevents+json"}
        headers.update(self["extensions"]["tracing"])
        request = urllib.request.Request(
            self._publisher_address, data=json.dumps(cloud_event).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def buildResponseCloudEvent(self, event_id: str, event_type: str, data: Any) -> Dict[str, Any]:
        """A structured CloudEvent answering this one: same source and type version, the given id, type and data."""
        cloud_event = {
            "specversion": "1.0",
            "id": event_id,
            "type": event_type,
            "source": self.get("ce-source") or "kless",
            "eventtypeversion": self.get("ce-eventtypeversion"),
        }
        if isinstance(data, (bytes, bytearray)):
            cloud_event["datacontenttype"] = "application/octet-stream"
            cloud_event["data_base64"] = base64.b64encode(bytes(data)).decode()
        elif isinstance(data, str):
            cloud_event["datacontenttype"] = "text/plain"
            cloud_event["data"] = data
        else:
            cloud_event["datacontenttype"] = "application/json"
            cloud_event["data"] = data
        return cloud_event


def _mime_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _read_limited(request: bottle.BaseRequest, limit: int) -> bytes:
    if request.content_length > limit:
        raise BodyTooLarge()
    body = request.body.read()
    if len(body) > limit:
        raise BodyTooLarge()
    return body


def _parse_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except RecursionError:
        raise JsonTooDeep() from None
    except ValueError as error:
        raise InvalidJson(str(error)) from None


def _batch(body: bytes) -> List[Tuple[Dict[str, Optional[str]], Any]]:
    items = _parse_json(body)
    if not isinstance(items, list):
        raise BadRequest("a CloudEvents batch must be a JSON array, got {}".format(type(items).__name__))
    if not items:
        raise BadRequest("the CloudEvents batch is empty")
    return [_structured(json.dumps(item).encode(), "CloudEvent: event {} of the batch".format(index)) for index, item in enumerate(items)]


def _structured(body: bytes, what: str = "structured CloudEvent") -> Tuple[Dict[str, Optional[str]], Any]:
    # Imported on first use: the SDK is only needed for structured mode and slows every cold start otherwise.
    from cloudevents.exceptions import GenericException
    from cloudevents.http import from_http

    try:
        cloud_event = from_http({"content-type": "application/cloudevents+json"}, body)
    except RecursionError:
        raise JsonTooDeep() from None
    except (GenericException, ValueError, TypeError, KeyError) as error:
        raise BadRequest("malformed {}: {}".format(what, error)) from None
    attributes = cloud_event.get_attributes()
    fields = {field: attributes.get(attribute) for field, attribute in STRUCTURED_ATTRIBUTES}
    # The SDK stamps the current time on an event that has none; the function must see the event as sent.
    fields["ce-time"] = json.loads(body).get("time")
    if fields["ce-time"] is not None and not RFC3339.match(str(fields["ce-time"])):
        raise BadRequest("malformed {}: time {!r} is not an RFC 3339 timestamp".format(what, fields["ce-time"]))
    return fields, cloud_event.data


def event_type(publisher_address: Optional[str], timeout: float) -> Type[Event]:
    """The Event class of this process: its helpers publish to ``publisher_address`` within ``timeout`` seconds."""
    return type("Event", (Event,), {"__slots__": (), "_publisher_address": publisher_address, "_timeout": timeout})


def build_events(request: bottle.BaseRequest, memfile_max: int, event_class: Type[Event]) -> Tuple[List[Event], bool]:
    """The events a request carries: one, or each event of a CloudEvents batch (then the flag is True)."""
    environ = request.environ
    # One test in C for all trace headers (the environ's key view looks each up): most requests carry none of them.
    extensions = {
        "request": request,
        "tracing": {} if environ.keys().isdisjoint(_TRACE_KEYS) else {name: environ[key] for name, key in _TRACE_ENVIRON_KEYS if key in environ},
    }
    content_type = environ.get("CONTENT_TYPE")
    mime = _mime_type(content_type) if content_type else ""
    if mime == "application/cloudevents+json":
        fields, data = _structured(_read_limited(request, memfile_max))
        return [event_class(fields, data=data, extensions=extensions)], False
    if mime == "application/cloudevents-batch+json":
        batch = _batch(_read_limited(request, memfile_max))
        return [event_class(fields, data=data, extensions=extensions) for fields, data in batch], True
    # Binary mode, the usual one, as one dict display: a Python call or a loop here costs more than the work in it.
    if mime == "application/json":
        data = _parse_json(_read_limited(request, memfile_max))
    elif environ.get("CONTENT_LENGTH", "") not in ("", "0") or "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        # Kyma accepted other bodies of any size: bottle spools large ones to a temporary file.
        data = request.body.read()
    else:
        data = b""
    get = environ.get
    # Passed through unvalidated, as in Kyma 1.x: binary mode never rejected a request for its ce-* headers.
    event = event_class(
        {
            "ce-type": get("HTTP_CE_TYPE"),
            "ce-source": get("HTTP_CE_SOURCE"),
            "ce-eventtypeversion": get("HTTP_CE_EVENTTYPEVERSION"),
            "ce-specversion": get("HTTP_CE_SPECVERSION"),
            "ce-id": get("HTTP_CE_ID"),
            "ce-time": get("HTTP_CE_TIME"),
            "data": data,
            "extensions": extensions,
        }
    )
    return [event], False
