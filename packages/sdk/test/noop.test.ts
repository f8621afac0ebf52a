// No OTel SDK registered in this file: the SDK must work as a no-op recorder.
import { experiment } from '@twinspan/sdk'
import { describe, expect, it } from 'vitest'

describe('without an OpenTelemetry SDK', () => {
  it('runs, compares and publishes with the API alone', async () => {
    const outcomes: string[] = []
    const exp = experiment({
      name: 'no-sdk',
      primary: (n: number) => n + 1,
      shadow: (n: number) => n + 2,
      onResult: (r) => void outcomes.push(r.outcome),
    })
    expect(await exp.run(1)).toBe(2)
    await exp.flush()
    expect(outcomes).toEqual(['mismatch'])
  })
})
