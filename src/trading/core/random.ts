import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';

/**
 * A seeded random source (xoroshiro128+ from pure-rand): the same seed gives the same sequence.
 * The domain never uses `Math.random`.
 *
 * @example
 * const rng = new SeededRandom(42);
 * rng.next(); // a float in [0, 1)
 */
export class SeededRandom {
  readonly #gen;

  /** A seed, or a state saved by `state()` to go on with the same sequence. */
  constructor(seed: number | readonly number[]) {
    this.#gen =
      typeof seed === 'number' ? xoroshiro128plus(seed | 0) : xoroshiro128plusFromState(seed);
  }

  /** The generator's state, plain numbers (for snapshots). */
  state(): readonly number[] {
    return this.#gen.getState();
  }

  /** A float in [0, 1). */
  next(): number {
    return uniformFloat64(this.#gen);
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return uniformInt(this.#gen, min, max);
  }
}
