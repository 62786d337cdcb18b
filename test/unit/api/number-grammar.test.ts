import fc from 'fast-check';
import {
  DECIMAL_PATTERN,
  INTEGER_PATTERN,
  ruleOfPattern,
} from '../../../src/api/number-grammar.js';
import { WS_MESSAGE_SCHEMAS } from '../../../src/api/ws-messages.js';
import { resolveParam, param } from '../../../src/trading/strategy/params.js';
import { isDecimal, isInteger, jsonNumberOf, nearNumbers } from '../../support/near-numbers.js';

/** Ajv compiles a pattern with the `u` flag. */
const decimal = new RegExp(DECIMAL_PATTERN, 'u');
const integer = new RegExp(INTEGER_PATTERN, 'u');

describe('numbers in requests: one spelling (JSON number grammar, no sign or exponent)', () => {
  it('a decimal field takes exactly the JSON numbers without sign or exponent, 20.18 digits', () => {
    fc.assert(
      fc.property(nearNumbers, (s) => {
        expect([s, decimal.test(s)]).toEqual([s, isDecimal(s)]);
      }),
      { numRuns: 1_500, seed: 7 },
    );
    for (const ok of ['0', '0.5', '0.010', '12', '12.250', `${'9'.repeat(20)}.${'1'.repeat(18)}`])
      expect([ok, decimal.test(ok)]).toEqual([ok, true]);
    for (const bad of [
      '00',
      '007.5',
      '01',
      '-0',
      '-1',
      '+1',
      '0.',
      '.5',
      '1e3',
      '1E3',
      ' 1',
      '1 ',
      '1\n',
      '\u0663',
      '\uff11',
      '1'.repeat(21),
      `0.${'1'.repeat(19)}`,
      '',
      '0x1',
      '1_000',
      '1,5',
    ])
      expect([bad, decimal.test(bad)]).toEqual([bad, false]);
  });

  it('an integer field (a time in ms, a sequence number) takes JSON integers of 1-15 digits', () => {
    fc.assert(
      fc.property(nearNumbers, (s) => {
        expect([s, integer.test(s)]).toEqual([s, isInteger(s)]);
      }),
      { numRuns: 1_000, seed: 8 },
    );
    for (const bad of ['00', '007', '-0', '1.0', '1e3', ' 1'])
      expect([bad, integer.test(bad)]).toEqual([bad, false]);
  });

  it('a /ws frame carries no number as a string in another spelling (its `after` is a JSON integer)', () => {
    const patterns: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v !== null && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) {
          if (k === 'pattern' && typeof x === 'string') patterns.push(x);
          else walk(x);
        }
    };
    walk(WS_MESSAGE_SCHEMAS);
    expect(patterns.length).toBeGreaterThan(0);
    for (const p of patterns) {
      const re = new RegExp(p, 'u');
      // A numeric pattern (digits, not letters) takes each number in its one spelling only.
      if (re.test('1') && !re.test('a'))
        for (const bad of ['01', '00', '-0', '+1', '1e3', ' 1', '1.', '.5'])
          expect([p, bad, re.test(bad)]).toEqual([p, bad, false]);
    }
    expect(JSON.stringify(WS_MESSAGE_SCHEMAS.subscribe)).toContain('"type":"integer"');
  });

  it('a refusal says the rule in words, not the regular expression', () => {
    expect(ruleOfPattern(DECIMAL_PATTERN)).toMatch(/^a decimal string: .*no leading zero/);
    expect(ruleOfPattern(INTEGER_PATTERN)).toMatch(/^an integer string: .*no leading zero/);
    expect(ruleOfPattern('^[a-z]$')).toBeUndefined();
  });

  it("a strategy's decimal param (API params, CLI --params) has the same spelling, signed", () => {
    const spec = param.decimal('1');
    /** The same rule with an optional `-` before a value other than zero, 30.30 digits. */
    const isSigned = (s: string) => {
      const neg = s.startsWith('-');
      const body = neg ? s.slice(1) : s;
      return jsonNumberOf(body, 30, 30, true) && !(neg && Number(body) === 0);
    };
    fc.assert(
      fc.property(nearNumbers, (s) => {
        let ok = true;
        try {
          resolveParam('size', spec, s);
        } catch (e) {
          ok = false;
          expect((e as Error).message).toMatch(/param "size": must be .*no leading zero/);
        }
        expect([s, ok]).toEqual([s, isSigned(s)]);
      }),
      { numRuns: 1_000, seed: 9 },
    );
    expect(resolveParam('size', spec, '-0.5')).toBe('-0.5');
    expect(resolveParam('size', spec, 0.01)).toBe('0.01');
  });
});
