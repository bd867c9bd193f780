/** Number formatting for the report blocks. */

export const int = (n: number): string => Math.round(n).toLocaleString('en-US');

export function fixed(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export const mib = (bytes: number): string => `${fixed(bytes / (1024 * 1024), 1)} MiB`;

export function us(microseconds: number): string {
  return microseconds >= 100 ? `${int(microseconds)} µs` : `${fixed(microseconds, 1)} µs`;
}

export function ratio(r: number): string {
  return Number.isFinite(r) ? `${r >= 100 ? int(r) : fixed(r, 1)}x` : 'n/a';
}
