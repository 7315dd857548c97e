// Baseline: the least a Node server can do for the same requests — read the body, parse JSON, answer.
// Plain JavaScript that Node 10 runs; FUNC_PORT as for the host.
/* global require */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS, run unchanged by Node 10
var http = require('http')

http
  .createServer(function (req, res) {
    var chunks = []
    req.on('data', function (chunk) {
      chunks.push(chunk)
    })
    req.on('end', function () {
      if (chunks.length && /json/.test(req.headers['content-type'] || '')) JSON.parse(Buffer.concat(chunks).toString('utf8'))
      res.setHeader('Access-Control-Allow-Origin', '*')
      res.end('Hello World!')
    })
  })
  .listen(Number(process.env.FUNC_PORT))
