/**
 * Keep-alive connections to the candidate, and one request at a time on each: the mirror's own
 * HTTP/1.1 client over `net`/`tls` sockets. Cheaper per request than `node:http`'s
 * ClientRequest/IncomingMessage (no streams, no agent bookkeeping, the head written as one
 * string); see docs/decisions/0041-express-mirror-client.md for the figures.
 *
 * Bounded: at most `maxSockets` connections and as many requests waiting for one (beyond, a
 * request fails at once). A connection that served before and is found closed when reused (the
 * candidate timed it out while idle) is retried once on a new one, for safe methods only and only
 * if no byte of an answer came. Idle connections are closed after {@link IDLE_MS}.
 */
import * as net from 'node:net'
import * as tls from 'node:tls'
import { ResponseReader } from './response-reader.js'

/** Idle connections are closed after this long: below Node's default server keep-alive timeout (5 s). */
export const IDLE_MS = 4000
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

/** Told how a request to the candidate ended: exactly one of the two is called, once. */
export interface CandidateListener {
  response(reader: ResponseReader): void
  failed(error: unknown): void
}

/** A request on its way: written, waiting for (or reading) its answer. */
export class PendingRequest {
  connection: Connection | undefined
  retried = false
  settled = false
  readonly reader: ResponseReader

  constructor(
    readonly pool: CandidatePool,
    readonly method: string,
    readonly payload: string | Buffer,
    maxBodyBytes: number,
    private readonly listener: CandidateListener,
  ) {
    this.reader = new ResponseReader(method === 'HEAD', maxBodyBytes)
  }

  /** Give up on it (the deadline passed): its connection is closed, the listener told `reason`. */
  abort(reason: unknown): void {
    if (!this.settled) this.pool.abort(this, reason)
  }

  succeed(): void {
    if (this.settled) return
    this.settled = true
    this.listener.response(this.reader)
  }

  fail(error: unknown): void {
    if (this.settled) return
    this.settled = true
    this.listener.failed(error)
  }
}

/** One socket to the candidate. */
class Connection {
  request: PendingRequest | undefined
  /** Requests written on it so far. */
  uses = 0
  lastUsed = 0
  connected = false
  discarded = false

  constructor(
    readonly pool: CandidatePool,
    readonly socket: net.Socket,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('end', () => this.onEnd(undefined))
    socket.on('error', (error) => this.onEnd(error))
    socket.on('close', () => this.onEnd(undefined))
  }

  send(request: PendingRequest): void {
    this.request = request
    request.connection = this
    if (!this.connected) return // written on connect
    this.uses++
    const payload = request.payload
    if (typeof payload === 'string') this.socket.write(payload, 'latin1')
    else this.socket.write(payload)
  }

  onConnect(): void {
    this.connected = true
    const request = this.request
    if (request !== undefined) this.send(request)
  }

  private onData(chunk: Buffer): void {
    const request = this.request
    if (request === undefined) {
      this.discard() // bytes nobody asked for: this connection cannot be trusted with the next request
      return
    }
    let done: boolean
    try {
      done = request.reader.read(chunk)
    } catch (error) {
      this.request = undefined
      request.connection = undefined
      this.discard()
      request.fail(error)
      return
    }
    if (!done) return
    this.request = undefined
    request.connection = undefined
    if (request.reader.reusable) this.pool.release(this)
    else this.discard()
    request.succeed()
  }

  private onEnd(error: Error | undefined): void {
    const request = this.request
    this.request = undefined
    this.discard()
    if (request === undefined) return
    request.connection = undefined
    if (error === undefined && request.reader.end()) {
      request.succeed()
      return
    }
    if (this.uses > 1 && !request.reader.started && !request.retried && SAFE.has(request.method)) {
      request.retried = true // the candidate closed it while idle; the request never reached it
      this.pool.dispatch(request)
      return
    }
    request.fail(
      error ??
        new Error(
          request.reader.started
            ? 'the candidate closed the connection mid-response'
            : 'the candidate closed the connection without answering',
        ),
    )
  }

  /** Close it and stop counting it; idempotent. */
  discard(): void {
    if (this.discarded) return
    this.discarded = true
    this.pool.forget(this)
    this.socket.destroy()
  }
}

/** Connections to one candidate origin. */
export class CandidatePool {
  private readonly idle: Connection[] = []
  private readonly waiting: PendingRequest[] = []
  private open = 0
  private closed = false
  private sweeper: ReturnType<typeof setInterval> | undefined
  private readonly host: string
  private readonly port: number
  private readonly secure: boolean

  constructor(
    url: URL,
    private readonly maxSockets: number,
    private readonly maxBodyBytes: number,
  ) {
    this.secure = url.protocol === 'https:'
    this.host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
    this.port = url.port === '' ? (this.secure ? 443 : 80) : Number(url.port)
  }

  /**
   * Write `payload` (a whole request: head, and body if any; a string is written as latin1) and read the answer; `listener` is
   * told of the response, or of a connection error or an answer that is not HTTP.
   */
  request(method: string, payload: string | Buffer, listener: CandidateListener): PendingRequest {
    const request = new PendingRequest(this, method, payload, this.maxBodyBytes, listener)
    if (this.closed) request.fail(new Error('the candidate pool is closed'))
    else this.dispatch(request)
    return request
  }

  /** Connections open now (in use or idle). */
  get connections(): number {
    return this.open
  }

  /** Close every connection; requests in flight fail. */
  close(): void {
    this.closed = true
    if (this.sweeper !== undefined) clearInterval(this.sweeper)
    for (const request of this.waiting.splice(0)) request.fail(new Error('the candidate pool is closed'))
    for (const connection of [...this.idle]) connection.discard()
  }

  /** @internal Give `request` a connection: an idle one, a new one, or a place in the queue. */
  dispatch(request: PendingRequest): void {
    const idle = request.retried ? undefined : this.idle.pop()
    if (idle !== undefined) idle.send(request)
    else if (this.open < this.maxSockets) this.connect().send(request)
    else if (this.waiting.length < this.maxSockets) this.waiting.push(request)
    else request.fail(new Error(`every connection to the candidate is busy (${this.maxSockets})`))
  }

  /** @internal A connection finished its request and may serve another. */
  release(connection: Connection): void {
    if (this.closed) {
      connection.discard()
      return
    }
    const next = this.waiting.shift()
    if (next !== undefined) {
      connection.send(next)
      return
    }
    connection.lastUsed = performance.now()
    this.idle.push(connection)
    this.sweeper ??= setInterval(() => this.sweep(), IDLE_MS / 4).unref()
  }

  /** @internal A connection is gone. */
  forget(connection: Connection): void {
    this.open--
    const at = this.idle.indexOf(connection)
    if (at !== -1) this.idle.splice(at, 1)
    if (this.waiting.length > 0 && !this.closed && this.open < this.maxSockets)
      this.connect().send(this.waiting.shift() as PendingRequest)
  }

  /** @internal Give up on `request`. */
  abort(request: PendingRequest, reason: unknown): void {
    const connection = request.connection
    if (connection !== undefined) {
      connection.request = undefined
      request.connection = undefined
      connection.discard()
    } else {
      const at = this.waiting.indexOf(request)
      if (at !== -1) this.waiting.splice(at, 1)
    }
    request.fail(reason)
  }

  private connect(): Connection {
    this.open++
    const socket = this.secure
      ? tls.connect({
          host: this.host,
          port: this.port,
          servername: net.isIP(this.host) === 0 ? this.host : undefined,
          ALPNProtocols: ['http/1.1'],
        })
      : net.connect({ host: this.host, port: this.port })
    socket.setNoDelay(true)
    const connection = new Connection(this, socket)
    socket.once(this.secure ? 'secureConnect' : 'connect', () => connection.onConnect())
    return connection
  }

  private sweep(): void {
    const stale = performance.now() - IDLE_MS
    // oldest first: `idle` is used as a stack, so the bottom holds the longest idle
    while (this.idle.length > 0 && (this.idle[0] as Connection).lastUsed < stale)
      (this.idle[0] as Connection).discard()
  }
}
