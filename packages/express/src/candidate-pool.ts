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

/** A request written, waiting for (or reading) its answer. An `abort` listener for its signal. */
class Exchange {
  connection: Connection | undefined
  retried = false
  settled = false
  readonly reader: ResponseReader

  constructor(
    readonly pool: CandidatePool,
    readonly method: string,
    readonly payload: string | Buffer,
    maxBodyBytes: number,
    readonly resolve: (reader: ResponseReader) => void,
    readonly reject: (error: unknown) => void,
    readonly signal: AbortSignal | undefined,
  ) {
    this.reader = new ResponseReader(method === 'HEAD', maxBodyBytes)
  }

  /** The signal fired: the deadline passed. */
  handleEvent(): void {
    this.pool.abort(this)
  }

  succeed(): void {
    if (this.settled) return
    this.settled = true
    this.signal?.removeEventListener('abort', this)
    this.resolve(this.reader)
  }

  fail(error: unknown): void {
    if (this.settled) return
    this.settled = true
    this.signal?.removeEventListener('abort', this)
    this.reject(error)
  }
}

/** One socket to the candidate. */
class Connection {
  exchange: Exchange | undefined
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

  send(exchange: Exchange): void {
    this.exchange = exchange
    exchange.connection = this
    if (!this.connected) return // written on connect
    this.uses++
    this.socket.write(exchange.payload)
  }

  onConnect(): void {
    this.connected = true
    const exchange = this.exchange
    if (exchange !== undefined) this.send(exchange)
  }

  private onData(chunk: Buffer): void {
    const exchange = this.exchange
    if (exchange === undefined) {
      this.discard() // bytes nobody asked for: this connection cannot be trusted with the next request
      return
    }
    let done: boolean
    try {
      done = exchange.reader.read(chunk)
    } catch (error) {
      this.exchange = undefined
      exchange.connection = undefined
      this.discard()
      exchange.fail(error)
      return
    }
    if (!done) return
    this.exchange = undefined
    exchange.connection = undefined
    if (exchange.reader.reusable) this.pool.release(this)
    else this.discard()
    exchange.succeed()
  }

  private onEnd(error: Error | undefined): void {
    const exchange = this.exchange
    this.exchange = undefined
    this.discard()
    if (exchange === undefined) return
    exchange.connection = undefined
    if (error === undefined && exchange.reader.end()) {
      exchange.succeed()
      return
    }
    if (this.uses > 1 && !exchange.reader.started && !exchange.retried && SAFE.has(exchange.method)) {
      exchange.retried = true // the candidate closed it while idle; the request never reached it
      this.pool.dispatch(exchange)
      return
    }
    exchange.fail(
      error ??
        new Error(
          exchange.reader.started
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
  private readonly waiting: Exchange[] = []
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
   * Write `payload` (a whole request: head, and body if any) and read the answer. Rejects on a
   * connection error, an answer that is not HTTP, or when `signal` fires (with its reason).
   */
  request(
    method: string,
    payload: string | Buffer,
    signal: AbortSignal | undefined,
  ): Promise<ResponseReader> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (this.closed) return Promise.reject(new Error('the candidate pool is closed'))
    return new Promise((resolve, reject) => {
      const exchange = new Exchange(this, method, payload, this.maxBodyBytes, resolve, reject, signal)
      signal?.addEventListener('abort', exchange)
      this.dispatch(exchange)
    })
  }

  /** Connections open now (in use or idle). */
  get connections(): number {
    return this.open
  }

  /** Close every connection; requests in flight fail. */
  close(): void {
    this.closed = true
    if (this.sweeper !== undefined) clearInterval(this.sweeper)
    for (const exchange of this.waiting.splice(0)) exchange.fail(new Error('the candidate pool is closed'))
    for (const connection of [...this.idle]) connection.discard()
  }

  /** @internal Give `exchange` a connection: an idle one, a new one, or a place in the queue. */
  dispatch(exchange: Exchange): void {
    const idle = exchange.retried ? undefined : this.idle.pop()
    if (idle !== undefined) idle.send(exchange)
    else if (this.open < this.maxSockets) this.connect().send(exchange)
    else if (this.waiting.length < this.maxSockets) this.waiting.push(exchange)
    else exchange.fail(new Error(`every connection to the candidate is busy (${this.maxSockets})`))
  }

  /** @internal A connection finished its exchange and may serve another. */
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
      this.connect().send(this.waiting.shift() as Exchange)
  }

  /** @internal The exchange's signal fired. */
  abort(exchange: Exchange): void {
    const connection = exchange.connection
    if (connection !== undefined) {
      connection.exchange = undefined
      exchange.connection = undefined
      connection.discard()
    } else {
      const at = this.waiting.indexOf(exchange)
      if (at !== -1) this.waiting.splice(at, 1)
    }
    exchange.fail(exchange.signal?.reason)
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
