// Publishes the received data as a new CloudEvent through event.publishCloudEvent.
module.exports = {
  main: function (event) {
    var outgoing = event.buildResponseCloudEvent('published-1', 'order.published', { received: event.data })
    return event.publishCloudEvent(outgoing).then(function () { return 'published' })
  },
}
