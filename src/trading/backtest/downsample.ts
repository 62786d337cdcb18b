/**
 * Picks at most `max` indices of `n` for charts: all of them when n ≤ max, else the last index
 * of each equal bucket, plus (for equity) each bucket's minimum so drawdowns stay visible.
 * Always keeps the first and last index; deterministic.
 *
 * @example
 * sampleIndices(10, 5); // [0, 1, 3, 5, 7, 9] (bucket ends, first kept)
 */
export function sampleIndices(n: number, max: number, values?: ArrayLike<number>): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const buckets = values ? Math.floor(max / 2) : max;
  const out: number[] = [0];
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor((b * n) / buckets);
    const hi = Math.floor(((b + 1) * n) / buckets) - 1;
    if (values) {
      let min = lo;
      for (let i = lo + 1; i <= hi; i++) if (values[i]! < values[min]!) min = i;
      if (min !== hi && min > out[out.length - 1]!) out.push(min);
    }
    if (hi > out[out.length - 1]!) out.push(hi);
  }
  return out;
}
