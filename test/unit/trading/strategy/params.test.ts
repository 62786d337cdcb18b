import { param, parseParamList, resolveParams } from '../../../../src/trading/strategy/params.js';
import { crossOf } from '../../../../src/trading/strategy/cross.js';

const specs = {
  fast: param.int(10, { min: 1 }),
  ratio: param.number(0.5, { max: 1 }),
  size: param.decimal('100', { min: '0' }),
  on: param.boolean(true),
  mode: param.string('a', { choices: ['a', 'b'] }),
};

describe('strategy params', () => {
  it('resolves defaults and overrides; decimals stay exact strings', () => {
    expect(resolveParams(specs, { fast: '12', size: '0.1000000000000000055511' })).toEqual({
      fast: 12,
      ratio: 0.5,
      size: '0.1000000000000000055511',
      on: true,
      mode: 'a',
    });
  });

  it.each([
    [{ fsat: '3' }, 'PARAM_UNKNOWN', 'unknown param "fsat" (known: fast, ratio, size, on, mode)'],
    [{ fast: 'abc' }, 'PARAM_INVALID', 'param "fast": must be an integer, was "abc"'],
    [{ fast: '1.5' }, 'PARAM_INVALID', 'param "fast": must be an integer'],
    [{ fast: '0' }, 'PARAM_INVALID', 'param "fast": must be an integer ≥ 1, was "0"'],
    [{ ratio: '2' }, 'PARAM_INVALID', 'param "ratio": must be a number ≤ 1'],
    [{ size: 'x' }, 'PARAM_INVALID', 'param "size": must be a decimal number'],
    [{ on: 'maybe' }, 'PARAM_INVALID', 'param "on": must be true or false'],
    [{ mode: 'c' }, 'PARAM_INVALID', 'param "mode": must be one of a, b'],
  ])('rejects %j with %s', (given, code, message) => {
    expect(() => resolveParams(specs, given)).toThrow(
      expect.objectContaining({ code, message: expect.stringContaining(message) }),
    );
  });

  it('parses name=value lists and names a bad pair', () => {
    expect(parseParamList('fast=10, slow=30,size=100')).toEqual({
      fast: '10',
      slow: '30',
      size: '100',
    });
    expect(() => parseParamList('fast10')).toThrow('--params: "fast10" is not name=value');
    expect(() => parseParamList('a=1,a=2')).toThrow('"a" is given twice');
  });
});

describe('crossOf', () => {
  it('judges against the last non-zero difference: a tie is no cross', () => {
    expect(crossOf(0, 2, 1)).toEqual({ sign: 1, cross: null });
    expect(crossOf(-1, 2, 1)).toEqual({ sign: 1, cross: 'up' });
    expect(crossOf(1, 1, 1)).toEqual({ sign: 1, cross: null });
    expect(crossOf(1, 1, 2)).toEqual({ sign: -1, cross: 'down' });
    expect(crossOf(1, null, 2)).toEqual({ sign: 1, cross: null });
    expect(crossOf(undefined, 1, 2)).toEqual({ sign: -1, cross: null });
    expect(crossOf(-3, 1, 1)).toEqual({ sign: -1, cross: null });
    expect(crossOf('x', null, null)).toEqual({ sign: 0, cross: null });
  });

  it('answers with shared, frozen values (no object per bar)', () => {
    expect(crossOf(-1, 2, 1)).toBe(crossOf(-1, 3, 1));
    expect(crossOf(0, 2, 1)).toBe(crossOf(1, 5, 1));
    expect(crossOf(1, 1, 2)).toBe(crossOf(1, 0, 2));
    expect(Object.isFrozen(crossOf(1, 1, 2))).toBe(true);
    expect(Object.isFrozen(crossOf(0, null, 2))).toBe(true);
  });
});

describe('strategy params refuse what would break a strategy at start', () => {
  const specs = {
    fast: param.int(10, { min: 1, lessThan: 'slow' }),
    slow: param.int(30, { min: 2 }),
    size: param.decimal('100', { min: '0' }),
    rate: param.number(0.5),
  };
  it.each([
    [{ fast: 1e308 }, 'fast', 'an integer'],
    [{ fast: '1e308' }, 'fast', 'an integer'],
    [{ slow: 2 ** 53 }, 'slow', 'an integer'],
    [{ size: '1e400' }, 'size', 'a decimal number'],
    [{ size: 1e308 }, 'size', 'a decimal number'],
    [{ size: '1'.repeat(31) }, 'size', 'a decimal number'],
    [{ fast: 40 }, 'fast', 'less than "slow"'],
    [{ fast: 30, slow: 30 }, 'fast', 'less than "slow"'],
    [{ rate: Number.POSITIVE_INFINITY }, 'rate', 'a number'],
  ])('%j is PARAM_INVALID naming %s', (given, name, rule) => {
    expect(() => resolveParams(specs, given)).toThrow(
      expect.objectContaining({
        code: 'PARAM_INVALID',
        message: expect.stringContaining(`param "${name}": must be ${rule}`),
      }),
    );
  });
  it('takes fast < slow and a plain decimal', () => {
    expect(resolveParams(specs, { fast: 5, slow: 6, size: '0.001' })).toMatchObject({
      fast: 5,
      slow: 6,
      size: '0.001',
    });
  });
});
