/** Small numeric helpers shared by the load and start-up measurements. */

/** The q-quantile (0..1) of an ascending-sorted array, nearest-rank method. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: number[]): number {
  return quantile(Float64Array.from(values).sort(), 0.5);
}

/** Fixed decimals, or an em dash for a value that was not measured. */
export const fmt = (n: number | undefined, digits = 1): string =>
  n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits);

/** A GitHub-flavoured markdown table. */
export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
