import fc from 'fast-check';
import {
  axisValues,
  combinationAt,
  grid,
  MAX_LISTED,
  paramFlags,
  paramList,
  paramSpace,
  sample,
} from '../../../../../src/trading/backtest/optimize/param-space.js';
import {
  brokenLessThan,
  param,
  parseParamList,
  resolveParams,
} from '../../../../../src/trading/strategy/params.js';

const specs = {
  fast: param.int(10, { min: 1, max: 500, lessThan: 'slow' }),
  slow: param.int(30, { min: 2, max: 1000 }),
  k: param.number(2, { min: 0, max: 10 }),
  size: param.decimal('100', { min: '0' }),
  short: param.boolean(false),
  mode: param.string('close', { choices: ['close', 'open', 'hl2'] }),
};

const message = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return `${(e as { code?: string }).code}: ${(e as Error).message}`;
  }
  return 'no error';
};

/** Lists of distinct ints within the declared bounds, as text. */
const intList = (min: number, max: number) =>
  fc.uniqueArray(fc.integer({ min, max }), { minLength: 1, maxLength: 6 });

describe('the parameter space of a sweep', () => {
  it('parses lists, ranges and * per type, each value resolved as a backtest would', () => {
    expect(axisValues('fast', specs.fast, '5..30:5')).toEqual([5, 10, 15, 20, 25, 30]);
    expect(axisValues('fast', specs.fast, '5..8')).toEqual([5, 6, 7, 8]);
    expect(axisValues('fast', specs.fast, '5..12:5')).toEqual([5, 10]);
    expect(axisValues('k', specs.k, '0.1..0.3:0.1')).toEqual([0.1, 0.2, 0.3]);
    expect(axisValues('size', specs.size, '1, 2.50,0.001')).toEqual(['1', '2.5', '0.001']);
    expect(axisValues('short', specs.short, '*')).toEqual([false, true]);
    expect(axisValues('mode', specs.mode, '*')).toEqual(['close', 'open', 'hl2']);
    expect(axisValues('mode', specs.mode, 'hl2,open')).toEqual(['hl2', 'open']);
  });

  it.each([
    ['fast=0,5', 'PARAM_INVALID: param "fast": must be an integer ≥ 1, was "0"'],
    ['fast=1.5', 'PARAM_INVALID: param "fast": must be an integer, was "1.5"'],
    ['fast=490..520:10', 'PARAM_INVALID: param "fast": must be an integer ≤ 500, was 510'],
    ['k=1..3', 'PARAM_SYNTAX: --param k: a number range needs a step (1..3:0.5)'],
    ['fast=30..10', 'PARAM_SYNTAX: --param fast: range 30..10 ends before it starts'],
    ['fast=5..10:0', 'PARAM_SYNTAX: --param fast: the step of 5..10 must be positive'],
    [
      'size=1..3:1',
      "PARAM_SYNTAX: --param size: ranges are for int and number params; list a decimal's values (1,2.5)",
    ],
    [
      'size=1e3',
      'PARAM_INVALID: param "size": must be a decimal number (plain digits, at most 30 on each side of the point, no leading zero, "-" only before a value other than 0), was "1e3"',
    ],
    ['mode=close,mid', 'PARAM_INVALID: param "mode": must be one of close, open, hl2, was "mid"'],
    ['short=yes', 'PARAM_INVALID: param "short": must be true or false, was "yes"'],
    [
      'fast=*',
      'PARAM_SYNTAX: --param fast: "*" (every value) is for boolean params and string params with choices',
    ],
    ['fast=5,10,5', 'PARAM_SYNTAX: --param fast: value 5 is given twice'],
    ['fast=', 'PARAM_SYNTAX: --param fast: no values (give a list 5,10,20 or a range 5..30:5)'],
    [
      'fsat=5',
      'PARAM_UNKNOWN: --param: unknown param "fsat" (known: fast, slow, k, size, short, mode)',
    ],
    ['fast', 'PARAM_SYNTAX: --param "fast": not name=values'],
  ])('refuses %s naming the param and the rule', (flag, expected) => {
    expect(message(() => paramSpace(specs, [flag]))).toBe(expected);
  });

  it('refuses a param given twice', () => {
    expect(message(() => paramSpace(specs, ['fast=5', 'fast=6']))).toBe(
      'PARAM_SYNTAX: --param fast: given twice',
    );
  });

  it('round-trips: the flags of a space give the same space; its size is the product of its axes', () => {
    fc.assert(
      fc.property(
        intList(1, 500),
        intList(2, 1000),
        fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 4 }),
        fc.subarray(['close', 'open', 'hl2'], { minLength: 1 }),
        fc.boolean(),
        (fast, slow, kTenths, modes, both) => {
          const flags = [
            `fast=${fast.join(',')}`,
            `slow=${slow.join(',')}`,
            `k=${kTenths.map((t) => t / 100).join(',')}`,
            `mode=${modes.join(',')}`,
            ...(both ? ['short=*'] : []),
          ];
          const space = paramSpace(specs, flags);
          expect(space.size).toBe(
            fast.length * slow.length * kTenths.length * modes.length * (both ? 2 : 1),
          );
          expect(paramSpace(specs, paramFlags(space))).toEqual(space);
          // Unswept params keep their defaults.
          expect(space.axes.find((a) => a.name === 'size')!.values).toEqual(['100']);
        },
      ),
    );
  });

  it('a range lists from its start by its step up to its end, within bounds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 1, max: 30 }),
        (from, len, step) => {
          const to = from + len;
          const values = axisValues('fast', specs.fast, `${from}..${to}:${step}`) as number[];
          expect(values.length).toBe(Math.floor(len / step) + 1);
          values.forEach((v, i) => expect(v).toBe(from + i * step));
          expect(values.every((v) => v >= from && v <= to)).toBe(true);
        },
      ),
    );
  });

  it('a grid runs every combination but those breaking lessThan, skipped and counted', () => {
    fc.assert(
      fc.property(intList(1, 60), intList(2, 60), (fast, slow) => {
        const space = paramSpace(specs, [`fast=${fast.join(',')}`, `slow=${slow.join(',')}`]);
        const { combinations, skipped } = grid(specs, space);
        const breaking = fast.flatMap((f) => slow.filter((s) => !(f < s))).length;
        expect(skipped).toBe(breaking);
        expect(combinations.length).toBe(space.size - breaking);
        for (const c of combinations) {
          expect(brokenLessThan(specs, c.params)).toBeNull();
          // What a run resolves: the same values, accepted by resolveParams.
          expect(resolveParams(specs, c.params)).toEqual(c.params);
          // The backtest flags of a combination parse back to it.
          expect(resolveParams(specs, parseParamList(paramList(c.params)))).toEqual(c.params);
        }
        // Grid order: indices rising, the last axis fastest.
        expect(combinations.map((c) => c.index)).toEqual(
          [...combinations.map((c) => c.index)].sort((a, b) => a - b),
        );
        expect(combinationAt(space, 1).params.fast).toBe(
          space.size > 1 && slow.length === 1 ? fast[1] : fast[0],
        );
      }),
    );
  });

  it('a random sample is the same for the same seed, distinct, valid, in grid order and within the space', () => {
    fc.assert(
      fc.property(
        intList(1, 80),
        intList(2, 80),
        fc.integer({ min: 1, max: 40 }),
        fc.integer(),
        (fast, slow, n, seed) => {
          const space = paramSpace(specs, [`fast=${fast.join(',')}`, `slow=${slow.join(',')}`]);
          const a = sample(specs, space, n, seed);
          expect(sample(specs, space, n, seed)).toEqual(a);
          const valid = grid(specs, space);
          expect(a.skipped).toBe(valid.skipped);
          expect(a.combinations.length).toBe(Math.min(n, valid.combinations.length));
          const indices = a.combinations.map((c) => c.index);
          expect(new Set(indices).size).toBe(indices.length);
          expect(indices).toEqual([...indices].sort((x, y) => x - y));
          for (const c of a.combinations) {
            expect(brokenLessThan(specs, c.params)).toBeNull();
            expect(fast).toContain(c.params.fast);
            expect(slow).toContain(c.params.slow);
            expect(c).toEqual(combinationAt(space, c.index));
          }
        },
      ),
    );
  });

  it('samples a space too large to list by distinct valid draws, the same per seed', () => {
    const big = paramSpace(specs, ['fast=1..500', 'slow=2..1000', 'k=0..10:0.5', 'mode=*']);
    expect(big.size).toBeGreaterThan(MAX_LISTED);
    expect(message(() => grid(specs, big))).toMatch(
      /^USAGE: --search grid: .* sample them with --search random/,
    );
    const a = sample(specs, big, 50, 3);
    expect(sample(specs, big, 50, 3)).toEqual(a);
    expect(sample(specs, big, 50, 4)).not.toEqual(a);
    expect(a.combinations).toHaveLength(50);
    expect(new Set(a.combinations.map((c) => c.index)).size).toBe(50);
    for (const c of a.combinations) expect(brokenLessThan(specs, c.params)).toBeNull();
  });
});
