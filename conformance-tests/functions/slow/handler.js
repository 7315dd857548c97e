// Waits ?ms= milliseconds (not CPU-bound) before answering, for concurrency checks.
module.exports = {
  main: function (event) {
    var ms = Number(event.extensions.request.query.ms || 0)
    return new Promise(function (resolve) { setTimeout(function () { resolve('waited ' + ms) }, ms) })
  },
}
