// The seed's custom response: 400 without ?id, "42" with it.
//   kless run examples/custom-response   then   curl -i localhost:8080/   and   curl -i 'localhost:8080/?id=1'
module.exports = {
  main: function (event, context) {
    if (event.extensions.request.query.id === undefined) {
      event.extensions.response.status(400)
      return
    }
    return '42'
  },
}
