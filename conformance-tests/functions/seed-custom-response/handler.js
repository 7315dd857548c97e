// The documented custom-response pattern: 400 without ?id, "42" with it.
module.exports = {
  main: function (event, context) {
    if (event.extensions.request.query.id === undefined) {
      var res = event.extensions.response
      res.status(400)
      return
    }
    return '42'
  },
}
