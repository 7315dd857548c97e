// Returns the kind of value named by ?v=, to check how the host turns return values into responses.
var circular = { name: 'loop' }
circular.self = circular

var values = {
  string: function () { return 'hello' },
  'empty-string': function () { return '' },
  undefined: function () { return undefined },
  object: function () { return { a: 1, b: [true, null] } },
  array: function () { return [1, 'two'] },
  null: function () { return null },
  date: function () { return new Date(0) },
  buffer: function () { return Buffer.from([0, 1, 2, 255]) },
  number: function () { return 42 },
  zero: function () { return 0 },
  boolean: function () { return true },
  symbol: function () { return Symbol('s') },
  function: function () { return function () {} },
  bigint: function () { return BigInt(1) },
  circular: function () { return circular },
  promise: function () { return Promise.resolve({ resolved: true }) },
  'promise-string': function () { return new Promise(function (resolve) { setTimeout(function () { resolve('later') }, 20) }) },
}

module.exports = {
  main: function (event) {
    var name = event.extensions.request.query.v
    if (name === undefined) return 'ok'
    if (!values[name]) throw new Error('returns: unknown ?v=' + name)
    return values[name]()
  },
}
