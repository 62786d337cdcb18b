import { assertNever, InvariantError, KairosError } from '../../../../src/trading/core/errors.js';

// `kairos` prints an expected failure as one line and exit code 2, and lets an invariant error
// crash with its stack (src/cli/main.ts tells them apart by name): a bug must never pass for bad
// input, and a crash log must say which invariant broke.
describe('errors', () => {
  it('an invariant error names itself and leads its message with the broken rule', () => {
    const e = new InvariantError('ORDER_ILLEGAL_TRANSITION', 'FILLED -> ACCEPTED');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('InvariantError');
    expect(e.code).toBe('ORDER_ILLEGAL_TRANSITION');
    expect(e.message).toBe('ORDER_ILLEGAL_TRANSITION: FILLED -> ACCEPTED');
    expect(String(e)).toBe('InvariantError: ORDER_ILLEGAL_TRANSITION: FILLED -> ACCEPTED');
    expect(e.stack).toMatch(/^InvariantError: ORDER_ILLEGAL_TRANSITION: FILLED -> ACCEPTED\n/);
  });

  it('an expected failure keeps its code, its text and its cause apart', () => {
    const cause = new Error('ECONNREFUSED');
    const e = new KairosError('STORE_UNAVAILABLE', 'the database does not answer', { cause });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('KairosError');
    expect(e.code).toBe('STORE_UNAVAILABLE');
    expect(e.message).toBe('the database does not answer');
    expect(e.cause).toBe(cause);
    expect(String(e)).toBe('KairosError: the database does not answer');
    expect(new KairosError('CONFIG_INVALID', '--cash: must be positive').cause).toBeUndefined();
  });

  it('a value no case of a switch handles is an invariant error that shows the value', () => {
    const unknownEvent = { kind: 'OrderTeleported', clientOrderId: 'K-1' } as never;
    expect(() => assertNever(unknownEvent)).toThrow(InvariantError);
    expect(() => assertNever(unknownEvent)).toThrow(
      'UNREACHABLE: unexpected value {"kind":"OrderTeleported","clientOrderId":"K-1"}',
    );
  });
});
