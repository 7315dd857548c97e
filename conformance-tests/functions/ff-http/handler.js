// Google's functions-framework conformance client, http type, adapted to main(event, context): writes the
// request body it received to function_output.json in the working directory, where the client reads it.
// CONFORMANCE_DELAY_MS makes each call wait, as the client's concurrency check requires (≥ 1 s).
var fs = require('fs')
var path = require('path')

function bodyText(event) {
  var raw = event.extensions.request.body
  if (Buffer.isBuffer(raw) && raw.length) return raw.toString('utf8')
  if (typeof event.data === 'string') return event.data
  return JSON.stringify(event.data)
}

module.exports = {
  main: function (event) {
    fs.writeFileSync(path.join(process.cwd(), 'function_output.json'), bodyText(event))
    var delay = Number(process.env.CONFORMANCE_DELAY_MS || 0)
    return new Promise(function (resolve) { setTimeout(function () { resolve('OK') }, delay) })
  },
}
