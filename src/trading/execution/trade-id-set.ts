/**
 * A set of one venue's trade ids (the OMS's record of the fills it applied), answering exactly as
 * a `Set<string>` does. Venues number their trades (`SIM-T1`, `SIM-T2`…, Binance's integers): an
 * id that is one prefix (the first such id's) followed by a whole number written as it prints
 * (no leading zero, at most 15 digits) is kept as that number in runs of consecutive numbers, so
 * the next trade of a venue extends the last run. Any other id goes to a `Set`. A backtest applies
 * one trade an order for its whole run: a `Set` of every id was an insert into a hash table as
 * large as the run (out of the caches by the time the next order comes, and grown in fresh
 * memory), where a run is one number changed (issue 18, docs/benchmarks.md).
 *
 * @example
 * const ids = new TradeIdSet();
 * ids.add('SIM-T1'); // true: new
 * ids.add('SIM-T1'); // false: held already
 */
export class TradeIdSet {
  /** Ids that are not the prefix and a whole number. */
  readonly #other = new Set<string>();
  /** The prefix of numbered ids: the first numbered id's; null before it. */
  #prefix: string | null = null;
  /** The numbers held, as sorted disjoint runs: [first, last, first, last, …], last < next first − 1. */
  readonly #runs: number[] = [];
  #numbered = 0;

  /** How many ids it holds. */
  get size(): number {
    return this.#numbered + this.#other.size;
  }

  /**
   * How it holds its ids (a diagnostic): `runs` of consecutive numbers under the numbered ids'
   * prefix, and the `others` kept one by one.
   */
  get layout(): { readonly runs: number; readonly others: number } {
    return { runs: this.#runs.length / 2, others: this.#other.size };
  }

  /** Whether it holds `id`. */
  has(id: string): boolean {
    const n = this.#numberOf(id);
    return n < 0 ? this.#other.has(id) : this.#find(n) >= 0;
  }

  /** Adds `id`; true when it was not held. */
  add(id: string): boolean {
    const n = this.#numberOf(id);
    if (n < 0) {
      const before = this.#other.size;
      this.#other.add(id);
      return this.#other.size > before;
    }
    const runs = this.#runs;
    const end = runs.length;
    // The usual case: the number after the last run's last.
    // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator,BlockStatement: equivalent, a fast path: the general path below extends the last run the same way (and an index before 0 or past the end reads undefined, never equal)
    if (end > 0 && n === runs[end - 1]! + 1) {
      runs[end - 1] = n;
      this.#numbered++;
      return true;
    }
    const at = this.#insertionPoint(n);
    // `at` is the first run whose last is ≥ n (a pair index), or the end.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent bounds, an index past the end reads undefined, which compares false
    if (at < end && runs[at]! <= n) return false;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent bounds, as above (index -1)
    const joinsBefore = at > 0 && runs[at - 1]! === n - 1;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent bounds, as above
    const joinsAfter = at < end && runs[at]! === n + 1;
    if (joinsBefore && joinsAfter) {
      runs[at - 1] = runs[at + 1]!;
      runs.splice(at, 2);
    } else if (joinsBefore) runs[at - 1] = n;
    else if (joinsAfter) runs[at] = n;
    else runs.splice(at, 0, n, n);
    this.#numbered++;
    return true;
  }

  /** Removes `id`; true when it was held. */
  delete(id: string): boolean {
    const n = this.#numberOf(id);
    if (n < 0) return this.#other.delete(id);
    const at = this.#find(n);
    if (at < 0) return false;
    const runs = this.#runs;
    const first = runs[at]!;
    const last = runs[at + 1]!;
    if (first === last) runs.splice(at, 2);
    else if (n === first) runs[at] = n + 1;
    else if (n === last) runs[at + 1] = n - 1;
    else runs.splice(at + 1, 0, n - 1, n + 1);
    this.#numbered--;
    return true;
  }

  /** The pair index of the run holding `n`, or -1. */
  #find(n: number): number {
    const at = this.#insertionPoint(n);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent bounds, an index past the end reads undefined, which compares false
    return at < this.#runs.length && this.#runs[at]! <= n ? at : -1;
  }

  /** The pair index of the first run whose last number is ≥ n (the runs' length if none). */
  #insertionPoint(n: number): number {
    const runs = this.#runs;
    let lo = 0;
    // Stryker disable next-line ArithmeticOperator: equivalent, a larger bound only searches past the end, whose undefined compares false
    let hi = runs.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (runs[mid * 2 + 1]! < n) lo = mid + 1;
      else hi = mid;
    }
    return lo * 2;
  }

  /**
   * The number of `id` when it is the numbered ids' prefix and a whole number written as it prints
   * (no leading zero, 1–15 digits), else -1. The first such id sets the prefix.
   */
  #numberOf(id: string): number {
    const len = id.length;
    let start = len;
    while (start > 0) {
      const c = id.charCodeAt(start - 1);
      if (c < 48 || c > 57) break;
      start--;
    }
    const digits = len - start;
    if (digits === 0 || digits > 15 || (digits > 1 && id.charCodeAt(start) === 48)) return -1;
    const prefix = this.#prefix;
    if (prefix === null) this.#prefix = id.slice(0, start);
    else if (start !== prefix.length || !id.startsWith(prefix)) return -1;
    let n = 0;
    for (let i = start; i < len; i++) n = n * 10 + (id.charCodeAt(i) - 48);
    return n;
  }
}
