# Publishes the received data as a new CloudEvent through event.publishCloudEvent.


def main(event, context):
    data = event["data"]
    received = data.decode() if isinstance(data, bytes) else data
    outgoing = event.buildResponseCloudEvent("published-1", "order.published", {"received": received})
    event.publishCloudEvent(outgoing)
    return "published"
