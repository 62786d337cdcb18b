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

  it('runs the jobs one at a time, in the order added; idle() waits for every job added so far, failed and refused ones too', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    const gates: (() => void)[] = [];
    const gated = (name: string) => () => {
      log.push(`start ${name}`);
      return new Promise<void>((resolve) =>
        gates.push(() => {
          log.push(`end ${name}`);
          resolve();
        }),
      );
    };
    let idle = false;
    const first = q.add(gated('a'));
    const second = q.add(gated('b'));
    void q.idle().then(() => (idle = true));
    await until(() => gates.length === 1);
    // The second waits for the first.
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(log).toEqual(['start a']);
    gates[0]!();
    await first;
    await until(() => gates.length === 2);
    expect(idle).toBe(false);
    gates[1]!();
    await second;
    await until(() => idle);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
    // A failed job and the refused one after it: idle() resolves (never rejects) once both ran.
    const failed = q.add(() => Promise.reject(new Error('disk')));
    const refused = q.add(() => Promise.resolve(1));
    let refusedSettled = false;
    refused.then(
      () => (refusedSettled = true),
      () => (refusedSettled = true),
    );
    await q.idle();
    expect(refusedSettled).toBe(true);
    await expect(failed).rejects.toThrow('disk');
    await expect(refused).rejects.toThrow('refused');
  });
});
