module.exports = {
  main: function (event, context) {
    const who = (event.extensions.request.query.name) || 'world'
    return `Hello ${who} from ${context['function-name']} on ${context.runtime}!`
  },
}
