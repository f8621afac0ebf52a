/**
 * The API token (`server.authToken`), kept in this tab's sessionStorage, or in localStorage when
 * the user asks to be remembered on this device. Sent only as `Authorization: Bearer`.
 */

const KEY = 'twinspan.token'

/** The stored token, or undefined. */
export function readToken(): string | undefined {
  return storage(() => sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY)) ?? undefined
}

/** Store a token for this tab, or on this device when `remember` is set. */
export function saveToken(token: string, remember: boolean): void {
  forgetToken()
  storage(() => (remember ? localStorage : sessionStorage).setItem(KEY, token))
}

/** Drop the token from both stores. */
export function forgetToken(): void {
  storage(() => {
    sessionStorage.removeItem(KEY)
    localStorage.removeItem(KEY)
  })
}

// Storage can throw (disabled cookies, private modes): the page then simply asks again.
function storage<T>(use: () => T): T | undefined {
  try {
    return use()
  } catch {
    return undefined
  }
}
