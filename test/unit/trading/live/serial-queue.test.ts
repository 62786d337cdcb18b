import { KairosError } from '../../../../src/trading/core/errors.js';
import { SerialQueue } from '../../../../src/trading/live/serial-queue.js';

/** Waits, a promise callback at a time, until `done()` holds. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await Promise.resolve();
  expect(done()).toBe(true);
}

describe('SerialQueue', () => {
  // Found by the failover test (issue 16): once the journal of an account whose lease was lost
  // had failed, the next order's write was refused with a plain error, answered 500 INTERNAL.
  it("refuses the jobs after a failure with the failure's code when it has one", async () => {
    const q = new SerialQueue();
    const lost = new KairosError('LEASE_LOST', 'lease account:a1: token 1 is no longer current');
    await expect(q.add(() => Promise.reject(lost))).rejects.toBe(lost);
    const refused = await q.add(() => Promise.resolve('never run')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KairosError);
    expect(refused).toMatchObject({
      code: 'LEASE_LOST',
      message: 'refused: an earlier write failed: lease account:a1: token 1 is no longer current',
      cause: lost,
    });
    expect(q.failure).toBe(lost);
  });

  it('refuses with a plain error after a failure without a code', async () => {
    const q = new SerialQueue();
    const disk = new Error('disk');
    await expect(q.add(() => Promise.reject(disk))).rejects.toBe(disk);
    const refused = await q.add(() => Promise.resolve(1)).catch((e: unknown) => e);
    expect(refused).not.toBeInstanceOf(KairosError);
    expect(refused).toMatchObject({ message: 'refused: an earlier write failed', cause: disk });
  });

  it('counts the jobs not finished: run, failed and refused ones leave the count', async () => {
    const q = new SerialQueue();
    const gates: (() => void)[] = [];
    const gated = () => new Promise<void>((resolve) => gates.push(resolve));
    const first = q.add(gated);
    const second = q.add(gated);
    expect(q.pending).toBe(2);
    await until(() => gates.length === 1);
    gates[0]!();
    await first;
    expect(q.pending).toBe(1);
    await until(() => gates.length === 2);
    gates[1]!();
    await second;
    expect(q.pending).toBe(0);
    await expect(q.add(() => Promise.reject(new Error('disk')))).rejects.toThrow('disk');
    expect(q.pending).toBe(0);
    await expect(q.add(() => Promise.resolve(1))).rejects.toThrow('refused');
    await expect(q.add(() => Promise.resolve(2))).rejects.toThrow('refused');
    expect(q.pending).toBe(0);
  });
});
