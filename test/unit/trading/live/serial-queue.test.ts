import { KairosError } from '../../../../src/trading/core/errors.js';
import { SerialQueue } from '../../../../src/trading/live/serial-queue.js';

describe('SerialQueue', () => {
  // Found by the failover test (issue 16): once the journal of an account whose lease was lost
  // had failed, the next order's write was refused with a plain error, answered 500 INTERNAL.
  it("refuses the jobs after a failure with the failure's code when it has one", async () => {
    const q = new SerialQueue();
    const lost = new KairosError('LEASE_LOST', 'lease account:a1: token 1 is no longer current');
    await expect(q.add(() => Promise.reject(lost))).rejects.toBe(lost);
    const refused = await q.add(() => Promise.resolve('never run')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KairosError);
    expect(refused).toMatchObject({ code: 'LEASE_LOST', cause: lost });
    expect(q.failure).toBe(lost);
  });

  it('refuses with a plain error after a failure without a code', async () => {
    const q = new SerialQueue();
    await expect(q.add(() => Promise.reject(new Error('disk')))).rejects.toThrow('disk');
    await expect(q.add(() => Promise.resolve(1))).rejects.toThrow(
      'refused: an earlier write failed',
    );
  });
});
