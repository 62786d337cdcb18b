import type { Exchange } from 'ccxt';
import { MemoryBudget } from '../../src/scalability/rate-limit/memory-budget.js';
import type { RequestBudget } from '../../src/scalability/rate-limit/request-budget.js';
import type { Alert } from '../../src/trading/model/alert.js';
import { startOkx, type OkxSim, type OkxSimOptions } from '../../src/simulators/okx/server.js';
import { createExchange } from '../../src/trading/venues/ccxt/exchange-factory.js';
import { simMarket } from './ccxt-sim.js';

/** The OKX simulator on a free port with the synthetic BTC market of `ccxt-sim.ts`. */
export function startOkxSim(over: Partial<OkxSimOptions> = {}): Promise<OkxSim> {
  return startOkx({ ...simMarket(), ...over });
}

/** A ccxt `okx` pointed at the simulator, behind a request budget, with its default account. */
export async function okxExchange(
  sim: Pick<OkxSim, 'url' | 'key'>,
  over: {
    budget?: RequestBudget;
    now?: () => number;
    onAlert?: (a: Alert) => void;
    rateLimitMs?: number;
    timeoutMs?: number;
    createExpiryMs?: number;
  } = {},
): Promise<Exchange> {
  const { exchange } = await createExchange({
    exchangeId: 'okx',
    apiKey: sim.key.apiKey,
    secret: sim.key.secret,
    password: sim.key.passphrase,
    exchangeUrl: sim.url,
    timeoutMs: over.timeoutMs ?? 5000,
    createExpiryMs: over.createExpiryMs,
    rateLimitMs: over.rateLimitMs ?? 1,
    budget: {
      budget: over.budget ?? new MemoryBudget({ rule: { capacity: 100_000, intervalMs: 60_000 } }),
      now: over.now,
      onAlert: over.onAlert,
    },
  });
  return exchange;
}
