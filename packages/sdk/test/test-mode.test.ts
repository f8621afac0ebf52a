import { experiment, MismatchError } from '@twinspan/sdk'
import { describe, expect, it } from 'vitest'
import { tracer } from './support.js'

describe('throwOnMismatch (test mode)', () => {
  it('rejects with a MismatchError naming the differing paths', async () => {
    const exp = experiment({
      name: 'strict',
      tracer,
      throwOnMismatch: true,
      primary: (n: number) => ({ cost: n, carrier: 'dhl' }),
      shadow: (n: number) => ({ cost: n > 5 ? n + 1 : n, carrier: 'dhl' }),
    })
    expect(await exp.run(1)).toEqual({ cost: 1, carrier: 'dhl' })
    const error = await exp.run(9).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MismatchError)
    expect((error as MismatchError).message).toBe(
      "twinspan: experiment 'strict' did not match: candidate 'shadow': mismatch at cost",
    )
    expect((error as MismatchError).results[0]?.differences[0]).toMatchObject({
      path: 'cost',
      primary: 9,
      shadow: 10,
    })
  })

  it('treats a shadow error or timeout as a failure too', async () => {
    const broken = experiment({
      name: 'strict-broken',
      tracer,
      throwOnMismatch: true,
      primary: () => 1,
      shadows: {
        throws: (): number => {
          throw new Error('x')
        },
        hangs: () => new Promise<number>(() => {}),
      },
      timeoutMs: 5,
    })
    await expect(broken.run()).rejects.toThrow(
      "twinspan: experiment 'strict-broken' did not match: candidate 'throws': shadow_error; candidate 'hangs': timeout",
    )
  })

  it("rethrows the primary's own error when both sides fail alike", async () => {
    const boom = new RangeError('same')
    const exp = experiment({
      name: 'strict-errors',
      tracer,
      throwOnMismatch: true,
      primary: (): number => {
        throw boom
      },
      shadow: (): number => {
        throw new RangeError('same')
      },
    })
    await expect(exp.run()).rejects.toBe(boom)
  })

  it('can be switched on with configure for a test suite', async () => {
    const exp = experiment({ name: 'strict-later', tracer, primary: () => 1, shadow: () => 2 })
    expect(await exp.run()).toBe(1)
    exp.configure({ throwOnMismatch: true })
    await expect(exp.run()).rejects.toBeInstanceOf(MismatchError)
  })
})
