/**
 * Run by candidate-tls.test.ts in a child process started with NODE_EXTRA_CA_CERTS (the test's
 * own certificate authority), so the mirror's client is tested over TLS exactly as it ships: with
 * Node's CA store and no TLS option of its own. Prints what it read, as JSON, on stdout.
 */
import { CandidatePool } from '../src/candidate-pool.js'
import type { ResponseReader } from '../src/response-reader.js'

const ask = (pool: CandidatePool, method: string, path: string) =>
  new Promise<ResponseReader>((resolve, reject) => {
    pool.request(method, `${method} ${path} HTTP/1.1\r\nhost: candidate\r\n\r\n`, {
      response: resolve,
      failed: reject,
    })
  })

const results: Record<string, unknown> = {}
for (const base of (process.env.CANDIDATES ?? '').split(',')) {
  const pool = new CandidatePool(new URL(base), 4, 1 << 20)
  const answers: unknown[] = []
  for (const path of ['/orders/1', '/orders/2', '/orders/3']) {
    const reader = await ask(pool, 'GET', path)
    answers.push({ status: reader.status, body: reader.body.take()?.toString('latin1') })
  }
  const head = await ask(pool, 'HEAD', '/orders/4')
  answers.push({ status: head.status, body: head.body.take()?.toString('latin1') ?? null })
  results[base] = { answers, connections: pool.connections }
  pool.close()
}
process.stdout.write(JSON.stringify(results))
