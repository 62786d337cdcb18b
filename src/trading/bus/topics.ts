/**
 * Topic and endpoint names, built in one place.
 *
 * @example
 * bus.subscribe(Topics.bars('ORCL'), onBar);
 */
export const Topics = {
  bars: named('data.bars.'),
  trades: named('data.trades.'),
  orderEvents: named('events.order.'),
  allOrderEvents: 'events.order.*',
  positions: named('events.position.'),
  alerts: 'events.alert',
  risk: 'events.risk',
} as const;

/** Command endpoints. */
export const Endpoints = {
  risk: 'RiskEngine.execute',
  execution: 'ExecutionEngine.execute',
  executionReports: 'ExecutionEngine.process',
} as const;

/** Names kept per prefix: enough for every strategy and instrument of a node. */
const KEPT = 4096;

/**
 * `prefix + id`, the same string each time for an id (up to `KEPT` ids per prefix): the OMS names
 * a topic for every order event (several per order) and the bus looks it up by name, so a string
 * made once hashes once, where a new one per event is an allocation and a hash each time.
 */
function named(prefix: string): (id: string) => string {
  const made = new Map<string, string>();
  return (id) => {
    let name = made.get(id);
    if (name === undefined) {
      name = prefix + id;
      if (made.size < KEPT) made.set(id, name);
    }
    return name;
  };
}
