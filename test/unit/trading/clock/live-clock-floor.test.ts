import { LiveClock } from '../../../../src/trading/clock/live-clock.js';

describe('LiveClock', () => {
  it('reads the wall clock while the market is behind it', () => {
    const clock = new LiveClock();
    clock.advanceTo(Date.now() - 60_000);
    const before = Date.now();
    const now = clock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('never runs behind a market that is ahead of it, and never goes back', () => {
    const clock = new LiveClock();
    const ahead = Date.now() + 3_600_000;
    clock.advanceTo(ahead);
    expect(clock.now()).toBe(ahead);
    clock.advanceTo(ahead - 1_000);
    expect(clock.now()).toBe(ahead);
  });

  it('fires a timer set on the market time that lifted it without waiting for the wall clock to catch up', async () => {
    const clock = new LiveClock();
    clock.advanceTo(Date.now() + 3_600_000);
    const fired = await new Promise<number>((resolve) => {
      clock.setTimer('t', clock.now() + 20, resolve);
    });
    expect(fired).toBeGreaterThan(Date.now() + 3_000_000);
    clock.dispose();
  });
});
