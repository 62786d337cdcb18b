import { RiskRepository } from '../../../src/store/risk-repository.js';
import { RiskControl } from '../../../src/system/risk-control.js';
import { KairosError } from '../../../src/trading/core/errors.js';
import type { TradingCore } from '../../../src/trading/live/trading-core.js';
import { anyStore } from '../../support/stores.js';

/**
 * Several instances: a core whose lease was taken is closing, and its writes are refused
 * (`LEASE_LOST`). A kill switch or a risk refresh that settles every core must still reach the
 * others and answer: one lost account must not stop the server (the failover scenario found a
 * server exiting, and other accounts failing to open, on exactly this).
 */
describe('risk changes beside a core whose lease was lost', () => {
  const core = (settle: () => Promise<void>) => {
    const applied: string[] = [];
    const c = {
      applyRisk: (s: { states: { global: string } }) => applied.push(s.states.global),
      settle,
    };
    return { core: c as unknown as TradingCore, applied };
  };

  it('applies and settles every other core; only a lease lost is passed over', async () => {
    const store = await anyStore();
    try {
      const repo = new RiskRepository(store.db);
      const lost = core(() =>
        Promise.reject(
          new KairosError('LEASE_LOST', 'lease account:a: token 1 is no longer current'),
        ),
      );
      const fine = core(() => Promise.resolve());
      const risk = new RiskControl(repo, () => [
        { accountId: 'a', core: lost.core },
        { accountId: 'b', core: fine.core },
      ]);
      await risk.setState({}, 'HALTED', 'incident', { actor: 'rick', role: 'risk' });
      expect(fine.applied.at(-1)).toBe('HALTED');
      expect(lost.applied.at(-1)).toBe('HALTED');

      // Any other failure of a core's journal still fails the change: it is not a lost lease.
      const broken = core(() => Promise.reject(new Error('disk full')));
      const strict = new RiskControl(repo, () => [
        { accountId: 'b', core: fine.core },
        { accountId: 'c', core: broken.core },
      ]);
      await expect(strict.sync()).rejects.toThrow('disk full');
    } finally {
      await store.drop();
    }
  });
});
