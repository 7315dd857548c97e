// Reports everything the host handed over (event fields, data as decoded, context, request),
// so table rows can assert on any of it. Syntax kept to what Node 10 parses.
var LONG = 2048

function kindOf(value) {
  if (Buffer.isBuffer(value)) return 'buffer'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

function shorten(value) {
  if ((typeof value === 'string' || Buffer.isBuffer(value)) && value.length > LONG) return '<' + value.length + ' long>'
  return value
}

module.exports = {
  main: function (event, context) {
    var request = event.extensions.request
    var response = event.extensions.response
    var fields = {}
    Object.keys(event).forEach(function (key) {
      if (key === 'extensions') return
      fields[key] = typeof event[key] === 'function' ? 'function' : shorten(event[key])
    })
    var data = event.data
    return {
      keys: Object.keys(event),
      event: fields,
      dataType: kindOf(data),
      dataLength: typeof data === 'string' || Buffer.isBuffer(data) ? data.length : null,
      helpers: {
        setResponseHeader: typeof event.setResponseHeader,
        setResponseContentType: typeof event.setResponseContentType,
        setResponseStatus: typeof event.setResponseStatus,
        publishCloudEvent: typeof event.publishCloudEvent,
        buildResponseCloudEvent: typeof event.buildResponseCloudEvent,
      },
      tracing: event.tracing === undefined ? null : event.tracing,
      context: context,
      env: { MY_VAR: process.env.MY_VAR || null },
      request: {
        method: request.method,
        path: request.path,
        url: request.originalUrl || request.url,
        query: request.query,
        headers: request.headers,
        bodyType: kindOf(request.body),
        hasGet: typeof request.get === 'function',
        contentType: typeof request.get === 'function' ? request.get('content-type') || null : null,
      },
      response: {
        status: typeof response.status,
        set: typeof response.set,
        send: typeof response.send,
        json: typeof response.json,
        end: typeof response.end,
      },
    }
  },
}
