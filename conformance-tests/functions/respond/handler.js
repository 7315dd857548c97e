// Shapes the response itself through extensions.response or the event helpers, selected by ?case=.
var cases = {
  created: function (event) {
    event.extensions.response.status(201)
    return 'created'
  },
  'already-sent': function (event) {
    event.extensions.response.status(202).send('sent')
    return 'ignored'
  },
  'sent-then-resolved': function (event) {
    event.extensions.response.json({ sent: true })
    return new Promise(function (resolve) { setTimeout(function () { resolve('ignored') }, 10) })
  },
  header: function (event) {
    event.extensions.response.set('X-Custom', 'yes')
    return { ok: true }
  },
  helpers: function (event) {
    event.setResponseStatus(203)
    event.setResponseHeader('X-Helper', 'set')
    event.setResponseContentType('text/csv')
    return 'a,b'
  },
  'response-event': function (event) {
    return event.buildResponseCloudEvent('reply-1', 'order.replied', { ok: true })
  },
}

module.exports = {
  main: function (event) {
    var name = event.extensions.request.query.case
    if (name === undefined) return 'ok'
    if (!cases[name]) throw new Error('respond: unknown ?case=' + name)
    return cases[name](event)
  },
}
