import { createConsoleLogger } from '../../../src/monitoring/console-logger.js';
import { KairosError } from '../../../src/trading/core/errors.js';
import { isLogLevel, noopLogger } from '../../../src/trading/core/logger.js';

const T0 = Date.UTC(2026, 11, 3, 14, 0, 0);

function capture(options: Parameters<typeof createConsoleLogger>[0] = {}) {
  const lines: string[] = [];
  const log = createConsoleLogger({ now: () => T0, write: (l) => lines.push(l), ...options });
  return { log, lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('console logger', () => {
  it('writes one JSON object a line: time, level, msg, then the fields', () => {
    const { log, lines } = capture();
    log.info('order accepted', { clientOrderId: 'sma-1', venue: 'binance' });
    expect(lines).toEqual([
      '{"time":"2026-12-03T14:00:00.000Z","level":"info","msg":"order accepted","clientOrderId":"sma-1","venue":"binance"}',
    ]);
  });

  it('writes to stderr by default', () => {
    const written: unknown[] = [];
    const original = process.stderr.write;
    process.stderr.write = ((chunk: unknown) => written.push(chunk) > 0) as typeof original;
    try {
      createConsoleLogger({ now: () => T0 }).warn('venue disconnected');
    } finally {
      process.stderr.write = original;
    }
    expect(written).toEqual([
      '{"time":"2026-12-03T14:00:00.000Z","level":"warn","msg":"venue disconnected"}\n',
    ]);
  });

  it('filters by level: at info, debug is dropped and the rest written', () => {
    const { log, json } = capture({ level: 'info' });
    log.debug('noise');
    log.info('a');
    log.warn('b');
    log.error('c');
    expect(json().map((l) => [l.level, l.msg])).toEqual([
      ['info', 'a'],
      ['warn', 'b'],
      ['error', 'c'],
    ]);
    expect(log.enabled('debug')).toBe(false);
    expect(log.enabled('info')).toBe(true);
  });

  it('at error writes errors only; at debug everything', () => {
    const quiet = capture({ level: 'error' });
    quiet.log.warn('w');
    quiet.log.error('e');
    expect(quiet.json().map((l) => l.msg)).toEqual(['e']);
    const loud = capture({ level: 'debug' });
    loud.log.debug('d');
    expect(loud.json().map((l) => l.level)).toEqual(['debug']);
  });

  it('child loggers add their fields to every line, nest, and keep the level', () => {
    const { log, json } = capture({ level: 'warn', fields: { service: 'kairos' } });
    const exec = log.child({ component: 'execution', venue: 'binance' });
    const order = exec.child({ clientOrderId: 'sma-7' });
    order.warn('order unknown', { venue: 'kraken' });
    order.info('dropped by level');
    log.warn('root line');
    expect(json()).toEqual([
      {
        time: '2026-12-03T14:00:00.000Z',
        level: 'warn',
        msg: 'order unknown',
        service: 'kairos',
        component: 'execution',
        venue: 'kraken',
        clientOrderId: 'sma-7',
      },
      { time: '2026-12-03T14:00:00.000Z', level: 'warn', msg: 'root line', service: 'kairos' },
    ]);
  });

  it('never lets a field overwrite time, level or msg', () => {
    const { log, json } = capture();
    log.info('real', { msg: 'fake', level: 'error', time: 'never' });
    expect(json()[0]).toMatchObject({
      msg: 'real',
      level: 'info',
      time: '2026-12-03T14:00:00.000Z',
    });
  });

  it('serialises errors with their code and bigints; never throws on a cycle', () => {
    const { log, json } = capture();
    log.error('commit failed', { err: new KairosError('STORE_UNAVAILABLE', 'db down'), seq: 12n });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    log.error('cycle', { cyclic });
    const [first, second] = json();
    expect(first).toMatchObject({
      err: { name: 'KairosError', message: 'db down', code: 'STORE_UNAVAILABLE' },
      seq: '12',
    });
    expect(second).toMatchObject({
      msg: 'cycle',
      fields: expect.stringMatching(/^\[unserialisable/),
    });
  });

  it('has a readable text format', () => {
    const { log, lines } = capture({ format: 'text' });
    log
      .child({ component: 'oms' })
      .warn('order denied', { reason: 'RISK_MAX_NOTIONAL', note: 'a b' });
    expect(lines).toEqual([
      '2026-12-03T14:00:00.000Z WARN  order denied component=oms reason=RISK_MAX_NOTIONAL note="a b"',
    ]);
  });
});

describe('logger port', () => {
  it('knows its levels', () => {
    expect(['debug', 'info', 'warn', 'error'].every(isLogLevel)).toBe(true);
    expect(isLogLevel('verbose')).toBe(false);
  });

  it('has a no-op logger whose children are no-ops too', () => {
    expect(noopLogger.child({ a: 1 })).toBe(noopLogger);
    expect(noopLogger.enabled('error')).toBe(false);
    expect(() => noopLogger.error('nothing')).not.toThrow();
  });
});
