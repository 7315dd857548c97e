# Shapes the response itself (a returned bottle.HTTPResponse, the event helpers), selected by ?case=.
import bottle

CASES = {
    "created": lambda event: bottle.HTTPResponse(status=201, body="created"),
    "header": lambda event: bottle.HTTPResponse(body='{"ok": true}', headers={"X-Custom": "yes", "Content-Type": "application/json"}),
    "response-event": lambda event: event.buildResponseCloudEvent("reply-1", "order.replied", {"ok": True}),
}


def main(event, context):
    name = event["extensions"]["request"].query.get("case")
    if name is None:
        return "ok"
    if name not in CASES:
        raise ValueError("respond: unknown ?case=" + name)
    return CASES[name](event)
