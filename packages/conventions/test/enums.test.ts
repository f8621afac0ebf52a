import * as conventions from '@twinspan/conventions'
import {
  ATTR_EXPERIMENT,
  ATTR_PREFIX,
  ATTR_SERVED,
  isOneOf,
  maxSeverity,
  OUTCOMES,
  severityRank,
} from '@twinspan/conventions'
import { describe, expect, it } from 'vitest'

describe('wire contract', () => {
  it('every attribute name but error.type lives under parallel_run.', () => {
    const names = Object.entries(conventions)
      .filter(([key]) => key.startsWith('ATTR_') && key !== 'ATTR_PREFIX' && key !== 'ATTR_ERROR_TYPE')
      .map(([, value]) => value as string)
    expect(names.length).toBeGreaterThanOrEqual(13)
    for (const name of names) expect(name.startsWith(ATTR_PREFIX)).toBe(true)
    expect(new Set(names).size).toBe(names.length)
    expect(ATTR_EXPERIMENT).toBe('parallel_run.experiment')
    expect(ATTR_SERVED).toBe('parallel_run.served')
  })

  it('ranks severities from none to critical', () => {
    expect(severityRank('none')).toBe(0)
    expect(severityRank('cosmetic')).toBe(1)
    expect(severityRank('critical')).toBe(4)
    expect(maxSeverity('minor', 'major')).toBe('major')
    expect(maxSeverity('none', 'cosmetic')).toBe('cosmetic')
  })

  it('guards enum values', () => {
    expect(isOneOf(OUTCOMES, 'timeout')).toBe(true)
    expect(isOneOf(OUTCOMES, 'late')).toBe(false)
    expect(isOneOf(OUTCOMES, 3)).toBe(false)
  })
})
