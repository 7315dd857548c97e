// Baseline: a plain Express 4 app doing the same work, with the express the runtime pins (found through NODE_PATH).
/* global require */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS, run unchanged by Node 10
var express = require('express')

var app = express()
app.use(express.json())
app.all('*', function (req, res) {
  res.set('Access-Control-Allow-Origin', '*')
  res.send('Hello World!')
})
app.listen(Number(process.env.FUNC_PORT))
