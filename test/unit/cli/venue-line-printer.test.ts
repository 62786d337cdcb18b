import fc from 'fast-check';
import { venueLinePrinter } from '../../../src/cli/run-logging.js';
import { createLogger } from '../../../src/monitoring/logger.js';
import type { LogLevel } from '../../../src/trading/core/logger.js';

/** A venue line: a status line, or one of the trouble words the adapters write. */
const line = fc.oneof(
  fc.constantFrom(
    'binance: candles stream reconnected',
    'binance: candles stream failed (ECONNRESET)',
    'binance: private stream reconnected',
    'binance: rate limited, waiting 12 s',
  ),
  fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[\r\n]/.test(s)),
);

describe('venue lines: printed for the user and logged, read once on a terminal', () => {
  it('prints a line unless stdout and stderr are one terminal whose log shows it; always logs what the level lets through', () => {
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 1, maxLength: 10 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom<LogLevel>('debug', 'info', 'warn', 'error'),
        (lines, stdout, stderr, level) => {
          const printed: string[] = [];
          const logged: string[] = [];
          const log = createLogger({ level, write: (l) => logged.push(l) }).child({
            component: 'venue',
          });
          const venueLine = venueLinePrinter(log, { stdout, stderr }, (l) => printed.push(l));
          for (const l of lines) venueLine(l);
          const shown = logged.map((l) => JSON.parse(l) as { message: string; level: string });
          for (const l of lines) {
            const inLog = shown.some((x) => x.message === l);
            // Each line reaches the user exactly once when both go to one terminal…
            if (stdout && stderr) expect([l, printed.includes(l) !== inLog]).toEqual([l, true]);
            // …and is always printed otherwise (a pipe or a log file still has the log).
            else expect([l, printed.includes(l)]).toEqual([l, true]);
          }
          expect(shown.every((x) => ['info', 'warn'].includes(x.level))).toBe(true);
        },
      ),
    );
  });

  it('logs trouble at warn and the rest at info', () => {
    const logged: string[] = [];
    const log = createLogger({ level: 'debug', write: (l) => logged.push(l) });
    const venueLine = venueLinePrinter(log, { stdout: true, stderr: true }, () => undefined);
    venueLine('binance: candles stream failed (ECONNRESET)');
    venueLine('binance: candles stream reconnected');
    expect(logged.map((l) => (JSON.parse(l) as { level: string }).level)).toEqual(['warn', 'info']);
  });
});
