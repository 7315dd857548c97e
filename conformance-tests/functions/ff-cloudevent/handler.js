// Google's functions-framework conformance client, cloudevent type, adapted to main(event, context): writes the
// CloudEvent it received, serialized as JSON, to function_output.json. The Kyma event has the six ce-* fields and
// data; the other attributes (subject, datacontenttype, dataschema, extensions) are read from the request.
var fs = require('fs')
var path = require('path')

var FIELDS = { 'ce-specversion': 'specversion', 'ce-type': 'type', 'ce-source': 'source', 'ce-id': 'id', 'ce-time': 'time' }
var STANDARD = ['specversion', 'type', 'source', 'id', 'time', 'data', 'data_base64', 'eventtypeversion']

function requestAttributes(request) {
  var attributes = {}
  var contentType = String(request.headers['content-type'] || '')
  if (contentType.indexOf('application/cloudevents+json') === 0) {
    var raw = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : null
    var parsed = raw ? JSON.parse(raw) : {}
    Object.keys(parsed).forEach(function (key) {
      if (STANDARD.indexOf(key) < 0) attributes[key] = parsed[key]
    })
    return attributes
  }
  Object.keys(request.headers).forEach(function (name) {
    var key = name.slice(3)
    if (name.indexOf('ce-') === 0 && STANDARD.indexOf(key) < 0) attributes[key] = request.headers[name]
  })
  if (contentType) attributes.datacontenttype = contentType
  return attributes
}

module.exports = {
  main: function (event) {
    var out = requestAttributes(event.extensions.request)
    Object.keys(FIELDS).forEach(function (field) {
      if (event[field] !== undefined) out[FIELDS[field]] = event[field]
    })
    if (event.data !== undefined && !(event.data && typeof event.data === 'object' && Object.keys(event.data).length === 0 && !Array.isArray(event.data))) out.data = event.data
    fs.writeFileSync(path.join(process.cwd(), 'function_output.json'), JSON.stringify(out))
    var delay = Number(process.env.CONFORMANCE_DELAY_MS || 0)
    return new Promise(function (resolve) { setTimeout(function () { resolve('OK') }, delay) })
  },
}
