// An ES-module handler by "type": "module", exporting an object with main as its default.
export default {
  main(event) {
    return { esm: true, path: event.extensions.request.path }
  },
}
