# Shapes the response itself (a returned bottle.HTTPResponse, the thread-local bottle.response, the event helpers),
# selected by ?case=.
import bottle


def _bottle_status(event):
    bottle.response.status = 202
    return "accepted"


def _bottle_header(event):
    bottle.response.set_header("X-Custom", "yes")
    return "ok"


def _bottle_cookie(event):
    bottle.response.set_cookie("flavour", "oat")
    return "ok"


CASES = {
    "created": lambda event: bottle.HTTPResponse(status=201, body="created"),
    "header": lambda event: bottle.HTTPResponse(body='{"ok": true}', headers={"X-Custom": "yes", "Content-Type": "application/json"}),
    "response-event": lambda event: event.buildResponseCloudEvent("reply-1", "order.replied", {"ok": True}),
    "bottle-status": _bottle_status,
    "bottle-header": _bottle_header,
    "bottle-cookie": _bottle_cookie,
}


def main(event, context):
    name = event["extensions"]["request"].query.get("case")
    if name is None:
        return "ok"
    if name not in CASES:
        raise ValueError("respond: unknown ?case=" + name)
    return CASES[name](event)
