/** Render rows as an aligned text table. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  return `${[line(header), ...rows.map(line)].join('\n')}\n`
}

/** A fraction as a percentage, e.g. `94.83%`; `-` when unknown. */
export function percent(fraction: number | null | undefined, digits = 2): string {
  if (fraction === null || fraction === undefined) return '-'
  return `${trim((fraction * 100).toFixed(digits))}%`
}

/** Milliseconds, e.g. `59.8 ms`; `-` when unknown. */
export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return '-'
  return `${trim(value.toFixed(2))} ms`
}

/** A signed difference, e.g. `+10.2 ms` or `-3%`; `-` when unknown. */
export function signed(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined) return '-'
  return `${value > 0 ? '+' : ''}${trim(value.toFixed(2))}${unit}`
}

function trim(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text
}
