import t from 'tap'
import { IncomingMessage, ServerResponse } from 'http'
import { Socket } from 'net'
import { EXPRESS_REQUEST_MEMBERS, EXPRESS_RESPONSE_MEMBERS, expressObjects } from '../src/express-objects'

t.test('the placeholder lists name exactly the members Express 4 adds', async (t) => {
  const own = async (path: string) => Object.getOwnPropertyNames((await import(path)).default).sort()
  t.same([...EXPRESS_REQUEST_MEMBERS].sort(), await own('express/lib/request.js'))
  t.same([...EXPRESS_RESPONSE_MEMBERS].sort(), await own('express/lib/response.js'))
})

t.test('request and response become Express objects on first use of an Express member', async (t) => {
  const { Request, Response } = expressObjects()
  const req = new Request(new Socket())
  req.url = '/orders/7?expand=items&tags[]=a'
  req.headers = { 'x-shop': 'north' }
  const res = new Response(req)
  t.ok(req instanceof IncomingMessage)
  t.ok(res instanceof ServerResponse)
  const express = req as unknown as { get(name: string): string; path: string; query: unknown; app: unknown }
  t.equal(express.get('X-Shop'), 'north', 'req.get loads Express and answers')
  t.equal(express.path, '/orders/7')
  t.same(express.query, { expand: 'items', tags: ['a'] }, "parsed with Express's extended query parser")
  t.ok(express.app, 'the prototypes are those of an Express app')
  const response = res as unknown as { status(code: number): unknown; locals: object }
  t.equal(response.status(201), res, 'res.status chains like Express')
  t.equal(res.statusCode, 201)
  t.same(response.locals, {})
})
