// Misbehaves in the way named by ?case=; without it answers 'ok', the runner's normal call.
var cases = {
  throw: function () { throw new Error('conformance: thrown on purpose') },
  'throw-string': function () { throw 'a string, not an Error' },
  reject: function () { return Promise.reject(new Error('conformance: rejected on purpose')) },
  'reject-empty': function () { return Promise.reject() },
  hang: function () { return new Promise(function () {}) },
  'settles-late': function () { return new Promise(function (resolve) { setTimeout(function () { resolve('late') }, 1500) }) },
  busy: function () { for (;;) {} },
  exit: function () { process.exit(3) },
}

module.exports = {
  main: function (event) {
    var name = event.extensions.request.query.case
    if (name === undefined) return 'ok'
    if (!cases[name]) throw new Error('errors: unknown ?case=' + name)
    return cases[name]()
  },
}
