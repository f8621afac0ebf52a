/**
 * An open-loop load generator for the latency phase: requests leave on a fixed schedule (`rate`
 * per second, evenly spaced) over a pool of keep-alive connections, whatever the server is doing,
 * as real clients arrive. autocannon's `overallRate` cannot do this: it sends each second's quota
 * back to back and then idles, so every request queues behind the one before it (closed loop).
 *
 * Latency is measured from the moment a request was due: a request that had to wait for a free
 * connection is charged the wait (no coordinated omission). Responses must carry Content-Length.
 */
import { once } from 'node:events'
import * as net from 'node:net'

interface Connection {
  socket: net.Socket
  busy: boolean
  due: number
  pending: Buffer
}

/** Send GET `path` at `rate` req/s for `seconds`; resolves with the sorted latencies in ms. */
export async function pacedLoad(
  port: number,
  path: string,
  rate: number,
  seconds: number,
): Promise<number[]> {
  const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)
  const latencies: number[] = []
  const idle: Connection[] = []
  const waiting: number[] = [] // due times of requests with no free connection yet

  const open = async (): Promise<Connection> => {
    const socket = net.connect(port, '127.0.0.1')
    socket.setNoDelay(true)
    await once(socket, 'connect')
    const connection: Connection = { socket, busy: false, due: 0, pending: Buffer.alloc(0) }
    socket.on('data', (chunk: Buffer) => {
      connection.pending =
        connection.pending.length === 0 ? chunk : Buffer.concat([connection.pending, chunk])
      const head = connection.pending.indexOf('\r\n\r\n')
      if (head === -1) return
      const length = /content-length:\s*(\d+)/i.exec(connection.pending.subarray(0, head).toString('latin1'))
      const total = head + 4 + Number(length?.[1] ?? 0)
      if (connection.pending.length < total) return
      latencies.push(performance.now() - connection.due)
      connection.pending = connection.pending.subarray(total)
      const next = waiting.shift()
      if (next === undefined) {
        connection.busy = false
        idle.push(connection)
      } else send(connection, next)
    })
    socket.on('error', () => {})
    return connection
  }
  const send = (connection: Connection, due: number) => {
    connection.busy = true
    connection.due = due
    connection.socket.write(request)
  }

  const pool = Math.max(4, Math.ceil(rate / 100))
  for (let i = 0; i < pool; i++) idle.push(await open())
  const interval = 1000 / rate
  const start = performance.now()
  const end = start + seconds * 1000
  let due = start
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now()
      while (due <= now && due < end) {
        const connection = idle.pop()
        // charged from its send time when a connection was free (a late timer is the client's
        // delay, the same for both apps), from its due time when it had to queue for one
        if (connection === undefined) waiting.push(due)
        else send(connection, now)
        due += interval
      }
      if (due < end) setTimeout(tick, Math.max(0, Math.min(1, due - performance.now())))
      else resolve()
    }
    tick()
  })
  const drained = performance.now() + 2000
  while ((waiting.length > 0 || idle.length < pool) && performance.now() < drained)
    await new Promise((resolve) => setTimeout(resolve, 5))
  for (const connection of idle) connection.socket.destroy()
  return latencies.sort((a, b) => a - b)
}
