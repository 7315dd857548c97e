// Answers a CloudEvent with another one, built from the incoming attributes. Try binary and structured mode:
//   curl localhost:8080/ -H 'ce-type: order.created' -H 'ce-source: /shop' -H 'ce-specversion: 1.0' \
//        -H 'ce-id: 1' -H 'content-type: application/json' -d '{"orderId": 7}'
//   curl localhost:8080/ -H 'content-type: application/cloudevents+json' \
//        -d '{"specversion":"1.0","id":"1","source":"/shop","type":"order.created","data":{"orderId":7}}'
// With PUBLISHER_PROXY_ADDRESS set (kless run … --env PUBLISHER_PROXY_ADDRESS=http://…), the reply is also published.
module.exports = {
  main: async function (event) {
    const reply = event.buildResponseCloudEvent(`${event['ce-id']}-done`, 'order.processed', { orderId: event.data.orderId })
    if (process.env.PUBLISHER_PROXY_ADDRESS) await event.publishCloudEvent(reply)
    event.setResponseContentType('application/json')
    return JSON.stringify(reply)
  },
}
