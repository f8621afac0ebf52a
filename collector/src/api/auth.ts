import { createHash, timingSafeEqual } from 'node:crypto'
import type { NextFunction, Request, Response } from 'express'

/** Require `Authorization: Bearer <token>`; compared in constant time. */
export function bearerAuth(token: string) {
  const expected = digest(token)
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.headers.authorization ?? ''
    const given = header.startsWith('Bearer ') ? header.slice(7) : ''
    // Hashing both sides gives equal lengths, so timingSafeEqual never throws and leaks no length.
    if (given !== '' && timingSafeEqual(digest(given), expected)) {
      next()
      return
    }
    req.resume()
    res.setHeader('WWW-Authenticate', 'Bearer realm="twinspan"')
    res.status(401).json({ error: 'missing or wrong bearer token (server.authToken)' })
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
