/**
 * The benchmark's candidate service (a child process). It stands in for a service on other
 * machines, so on our 2 shared cores it must cost next to nothing: a raw TCP server writing one
 * canned HTTP/1.1 response (what the legacy app renders for `/orders/4711`) per request it sees,
 * without parsing HTTP. Only bodiless keep-alive requests, which is all the benchmark sends.
 */
import type { AddressInfo } from 'node:net'
import * as net from 'node:net'
import { benchOrder } from './orders.js'

const body = JSON.stringify(benchOrder('4711'))
const response = Buffer.from(
  `HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Connection: keep-alive\r\n\r\n${body}`,
)
const END = Buffer.from('\r\n\r\n')

const server = net.createServer((socket) => {
  socket.setNoDelay(true)
  let pending: Buffer = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    let from = 0
    let at = pending.indexOf(END, from)
    while (at !== -1) {
      socket.write(response)
      from = at + END.length
      at = pending.indexOf(END, from)
    }
    pending = pending.subarray(from)
  })
  socket.on('error', () => {})
})
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }))
