// Module state: counts calls since the last ?reset and how often the module itself was loaded.
global.conformanceLoads = (global.conformanceLoads || 0) + 1
var calls = 0

module.exports = {
  main: function (event) {
    if (event.extensions.request.query.reset !== undefined) calls = 0
    else calls++
    return { calls: calls, loads: global.conformanceLoads }
  },
}
