# The custom-response pattern in Python, which has no extensions.response: 400 without ?id, "42" with it.
import bottle


def main(event, context):
    if event["extensions"]["request"].query.get("id") is None:
        return bottle.HTTPResponse(status=400)
    return "42"
