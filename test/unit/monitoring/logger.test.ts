import { spawn } from 'node:child_process';
import path from 'node:path';
import { createLogger, type LoggerOptions } from '../../../src/monitoring/logger.js';
import { KairosError } from '../../../src/trading/core/errors.js';
import { isLogLevel, noopLogger } from '../../../src/trading/core/logger.js';

const T0 = Date.UTC(2026, 11, 3, 14, 0, 0);

function capture(options: LoggerOptions = {}) {
  const lines: string[] = [];
  const log = createLogger({ now: () => T0, write: (l) => lines.push(l), ...options });
  return { log, lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('logger (winston)', () => {
  it('writes one JSON object a line: time, level, message, component, then the fields', () => {
    const { log, lines } = capture();
    log
      .child({ component: 'execution' })
      .info('order accepted', { clientOrderId: 'sma-1', venue: 'binance' });
    expect(lines).toEqual([
      '{"time":"2026-12-03T14:00:00.000Z","level":"info","message":"order accepted","component":"execution","clientOrderId":"sma-1","venue":"binance"}',
    ]);
  });

  it('writes JSON to stderr by default when stderr is not a terminal', () => {
    const written: unknown[] = [];
    const original = process.stderr.write;
    const tty = process.stderr.isTTY;
    process.stderr.isTTY = false;
    process.stderr.write = ((chunk: unknown) => written.push(chunk) > 0) as typeof original;
    try {
      createLogger({ now: () => T0 }).warn('venue disconnected');
    } finally {
      process.stderr.write = original;
      process.stderr.isTTY = tty;
    }
    expect(written).toEqual([
      '{"time":"2026-12-03T14:00:00.000Z","level":"warn","message":"venue disconnected"}\n',
    ]);
  });

  it('writes a coloured readable line when stderr is a terminal', () => {
    const written: string[] = [];
    const original = process.stderr.write;
    const tty = process.stderr.isTTY;
    process.stderr.isTTY = true;
    process.stderr.write = ((chunk: string) => written.push(chunk) > 0) as typeof original;
    try {
      createLogger({ now: () => T0 })
        .child({ component: 'oms' })
        .warn('order denied', { reason: 'RISK_MAX_NOTIONAL', note: 'a b' });
    } finally {
      process.stderr.write = original;
      process.stderr.isTTY = tty;
    }
    expect(written).toHaveLength(1);
    // eslint-disable-next-line no-control-regex
    expect(written[0]!.replace(/\u001b\[\d+m/g, '')).toBe(
      '2026-12-03T14:00:00.000Z WARN  [oms] order denied reason=RISK_MAX_NOTIONAL note="a b"\n',
    );
    expect(written[0]).toContain('\u001b[33m'); // yellow
  });

  it('keeps a readable line on one line, with no colour a message could forge', () => {
    const lines: string[] = [];
    createLogger({ format: 'pretty', now: () => T0, write: (l) => lines.push(l) }).info(
      'user\nFAKE ERROR line \u001b[31mred',
      { name: 'a\u001bb' },
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(lines[0]!.split('\u001b')).toHaveLength(3); // the level's colour on and off only
    expect(lines[0]).toContain('user\\u000aFAKE ERROR line \\u001b[31mred');
  });

  it('filters by level: at info, debug is dropped and the rest written', () => {
    const { log, json } = capture({ level: 'info' });
    log.debug('noise');
    log.info('a');
    log.warn('b');
    log.error('c');
    expect(json().map((l) => [l.level, l.message])).toEqual([
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
    expect(quiet.json().map((l) => l.message)).toEqual(['e']);
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
        message: 'order unknown',
        component: 'execution',
        service: 'kairos',
        venue: 'kraken',
        clientOrderId: 'sma-7',
      },
      { time: '2026-12-03T14:00:00.000Z', level: 'warn', message: 'root line', service: 'kairos' },
    ]);
    expect(order.enabled('info')).toBe(false);
  });

  it('never lets a field overwrite time, level or message', () => {
    const { log, json } = capture();
    log.info('real', { message: 'fake', level: 'error', time: 'never' });
    expect(json()[0]).toEqual({ time: '2026-12-03T14:00:00.000Z', level: 'info', message: 'real' });
  });

  it('serialises errors with their code and cause, bigints, dates; never throws on a cycle', () => {
    const { log, json } = capture();
    const err = new KairosError('STORE_UNAVAILABLE', 'db down', {
      cause: new Error('ECONNREFUSED'),
    });
    log.error('commit failed', { err, seq: 12n, at: new Date(T0) });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    log.error('cycle', { cyclic });
    const [first, second] = json();
    expect(first).toMatchObject({
      err: {
        name: 'KairosError',
        message: 'db down',
        code: 'STORE_UNAVAILABLE',
        cause: { message: 'ECONNREFUSED' },
      },
      seq: '12',
      at: '2026-12-03T14:00:00.000Z',
    });
    expect(second).toMatchObject({ message: 'cycle', cyclic: { a: 1, self: '[circular]' } });
  });

  it('survives a writer that throws and a field whose getter throws', () => {
    const log = createLogger({
      write: () => {
        throw new Error('disk full');
      },
    });
    expect(() => log.error('x')).not.toThrow();
    const { log: ok, json } = capture();
    const bad = Object.defineProperty({}, 'boom', {
      enumerable: true,
      get() {
        throw new Error('no');
      },
    });
    expect(() => ok.info('still', { bad })).not.toThrow();
    expect(json()[0]).toMatchObject({ message: 'still', bad: '[unserialisable: no]' });
  });

  it('redacts whatever the level, and secrets added later', () => {
    const { log, lines } = capture({ level: 'debug', secrets: ['configured-key-123'] });
    log.debug('login', { password: 'hunter2-hunter2', headers: { Authorization: 'Bearer x.y.z' } });
    log.info('key configured-key-123 in a message');
    log.addSecret('decrypted-secret-456');
    log.child({ component: 'venue' }).error('failed', { url: '/x?k=decrypted-secret-456' });
    const all = lines.join('\n');
    for (const s of ['hunter2-hunter2', 'x.y.z', 'configured-key-123', 'decrypted-secret-456'])
      expect(all).not.toContain(s);
    expect(lines).toHaveLength(3);
  });

  it("redacts a child's own fields with a secret added after the child has logged", () => {
    const { log, json } = capture();
    const child = log.child({ component: 'venue', venueKey: 'later-secret-789' });
    child.info('before');
    log.addSecret('later-secret-789');
    child.info('after', { more: 'later-secret-789' });
    expect(json().map((l) => [l.venueKey, l.more])).toEqual([
      ['later-secret-789', undefined],
      ['[REDACTED]', '[REDACTED]'],
    ]);
  });

  it("a child's fields that hold an object are read at each line, as the line's own", () => {
    const { log, json } = capture();
    const state = { phase: 'start' };
    const child = log.child({ component: 'x', state, n: 1 });
    child.info('one');
    state.phase = 'end';
    child.info('two', { n: 2 });
    expect(json().map((l) => [l.state, l.n])).toEqual([
      [{ phase: 'start' }, 1],
      [{ phase: 'end' }, 2],
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

describe('logger flush \'turn\' (docs/logging.md, "When a line is written")', () => {
  const turnEnd = () => new Promise((resolve) => setImmediate(resolve));

  it('holds info and debug lines until the end of the turn, then writes them in one call, in order', async () => {
    const writes: string[] = [];
    const log = createLogger({
      level: 'debug',
      now: () => T0,
      write: (t) => writes.push(t),
      flush: 'turn',
    });
    log.info('one', { n: 1 });
    log.child({ component: 'orders' }).debug('two');
    expect(writes).toEqual([]);
    await turnEnd();
    expect(writes).toEqual([
      '{"time":"2026-12-03T14:00:00.000Z","level":"info","message":"one","n":1}\n' +
        '{"time":"2026-12-03T14:00:00.000Z","level":"debug","message":"two","component":"orders"}',
    ]);
    await turnEnd();
    expect(writes).toHaveLength(1);
  });

  it('writes a warning or an error at once, after the lines waiting before it', () => {
    const writes: string[] = [];
    const log = createLogger({ now: () => T0, write: (t) => writes.push(t), flush: 'turn' });
    log.info('before');
    log.warn('careful');
    expect(
      writes.map((t) => t.split('\n').map((l) => (JSON.parse(l) as { message: string }).message)),
    ).toEqual([['before', 'careful']]);
    log.error('bad');
    expect(writes).toHaveLength(2);
  });

  it("keeps 'line' for a write of one's own unless told", () => {
    const { log, lines } = capture();
    log.info('now');
    expect(lines).toHaveLength(1);
  });

  // Child processes, all three at once: their stderr is what an operator's log driver reads.
  const child = (body: string) =>
    new Promise<{ code: number | null; messages: string[] }>((resolve, reject) => {
      const p = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          `const { createLogger } = await import(${JSON.stringify(path.resolve('src/monitoring/logger.ts'))});
           const log = createLogger({ format: 'json' });
           ${body}`,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      p.once('error', reject);
      p.once('close', (code) =>
        resolve({
          code,
          messages: stderr
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => (JSON.parse(l) as { message: string }).message),
        }),
      );
    });

  it('writes what waits when the process exits: process.exit, an uncaught exception, the end of its work', async () => {
    const runs = await Promise.all([
      child("log.info('a'); log.info('b'); process.exit(3);"),
      child("log.info('a'); log.info('b'); throw new Error('boom');"),
      child("log.info('a'); log.info('b');"),
    ]);
    expect(runs).toEqual([
      { code: 3, messages: ['a', 'b'] },
      { code: 1, messages: ['a', 'b'] },
      { code: 0, messages: ['a', 'b'] },
    ]);
  });
});
