// The benchmark's function: the smallest possible work, so the numbers measure the host.
/* global module */
module.exports = {
  main: function () {
    return 'Hello World!'
  },
}
