import type { StrategyDefinition } from '../../src/trading/strategy/define-strategy.js';
import { resolveParams } from '../../src/trading/strategy/params.js';
import { RemoteSeam } from '../../src/trading/strategy/remote-seam.js';
import type { SeamHost, StrategySeam } from '../../src/trading/strategy/strategy-seam.js';
import { StrategySide } from '../../src/trading/strategy/strategy-side.js';

/**
 * A host's `strategySeam` that runs `strategy` behind the remote seam, as a Lambda function runs
 * it: only JSON text crosses, to a `StrategySide` with default parameters; `onCall` hears each
 * crossing.
 */
export const remoteSeam =
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (strategy: StrategyDefinition<any, any, any>, onCall: () => void = () => undefined) =>
    (host: SeamHost): StrategySeam => {
      const side = new StrategySide(
        strategy,
        resolveParams(strategy.params, {}) as never,
        host.strategyId,
        host.instrument,
      );
      return new RemoteSeam(host, async (text: string) => {
        onCall();
        return side.handle(text);
      });
    };
