// A strategy instance's own thread (strategy-thread.ts): loads the strategy's bundle, says
// `ready`, then answers the host's seam requests with a `StrategySide`, one at a time.
import { parentPort, workerData } from 'node:worker_threads';
import { makeInstrument } from '../trading/model/instrument.js';
import { resolveParams } from '../trading/strategy/params.js';
import { serveStrategy } from '../trading/strategy/port-transport.js';
import { StrategySide } from '../trading/strategy/strategy-side.js';
import { errorAsData } from '../trading/venues/replay/error-data.js';
import { importStrategy } from './load-strategy.js';
import type { FromStrategyThread, StrategyThreadData } from './strategy-thread.js';

const data = workerData as StrategyThreadData;
const port = parentPort!;
const post = (m: FromStrategyThread) => port.postMessage(m);

try {
  const definition = await importStrategy(data.module, undefined, data.strategyFile);
  const side = new StrategySide(
    definition,
    resolveParams(definition.params, data.params),
    data.strategyId,
    makeInstrument(data.instrument),
  );
  serveStrategy(port, (text) => side.handle(text));
  post({ kind: 'ready' });
} catch (e) {
  post({ kind: 'fatal', error: errorAsData(e) });
}
