// Loads, but exports no `main`.
module.exports = { notMain: function () { return 'unreachable' } }
