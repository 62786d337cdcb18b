import type { Command } from 'commander';
import { checkLimit, LIMIT_NAMES, RiskRepository } from '../store/risk-repository.js';
import type { TradingState } from '../trading/risk/trading-state.js';
import { openConfiguredStore } from '../system/open-configured-store.js';
import { KairosError } from '../trading/core/errors.js';
import { actorOf, actorOption, cliConfig } from './cli-config.js';
import { renamedOptions } from './renamed-options.js';

async function withRisk<T>(fn: (risk: RiskRepository) => Promise<T>): Promise<T> {
  const config = cliConfig();
  const store = await openConfiguredStore(config);
  try {
    return await fn(new RiskRepository(store.db));
  } finally {
    await store.close();
  }
}

interface LimitFlags {
  clear?: string;
  strategyId?: string;
  instrument?: string;
  actor?: string;
}

interface ScopeFlags {
  strategyId?: string;
  instrument?: string;
  actor?: string;
  reason?: string;
}

/** Registers `kairos risk`: limits, trading states and the kill switch. */
export function registerRisk(program: Command): void {
  const risk = program
    .command('risk')
    .description(
      'risk limits, trading state and the kill switch (stored; running nodes pick them up)',
    );
  risk
    .command('show')
    .description('print the stored limits and trading states')
    .action(() =>
      withRisk(async (r) => {
        const text = JSON.stringify(
          await r.settings(),
          (_k, v: unknown) =>
            typeof v === 'object' && v !== null && 'toFixed' in v ? String(v) : v,
          2,
        );
        process.stdout.write(`${text}\n`);
      }),
    );
  const limitCmd = risk.command('limit');
  renamedOptions(limitCmd, { '--strategy <id>': '--strategy-id' });
  limitCmd
    .description(`set a limit, or remove one with --clear (${LIMIT_NAMES.join(', ')})`)
    .argument('[name]')
    .argument('[value]')
    .option('--clear <name>', "remove this limit from the scope (a broader scope's still applies)")
    .option('--strategy-id <id>', 'for one strategy run (default: the whole account)')
    .option('--instrument <id>', 'for one instrument, all strategies (default: the whole account)')
    .option(...actorOption('who makes the change (recorded)'))
    .action(async (name: string | undefined, value: string | undefined, flags: LimitFlags) => {
      const scope = { strategyId: flags.strategyId, instrumentId: flags.instrument };
      const where = flags.strategyId ?? (flags.instrument && `instrument ${flags.instrument}`);
      if (flags.clear !== undefined) {
        if (name !== undefined)
          throw new KairosError('USAGE', '--clear NAME takes no other name or value');
        checkLimit(scope, flags.clear); // before the store opens: a typo is refused at once
        const cleared = await withRisk((r) =>
          r.clearLimit(scope, flags.clear!, actorOf(flags), Date.now()),
        );
        process.stdout.write(
          cleared
            ? `limit ${flags.clear} cleared (${where || 'account'})\n`
            : `limit ${flags.clear}: none was set (${where || 'account'})\n`,
        );
        return;
      }
      if (name === undefined || value === undefined)
        throw new KairosError('USAGE', 'give NAME VALUE to set a limit, or --clear NAME');
      checkLimit(scope, name, value);
      await withRisk((r) => r.setLimit(scope, name, value, actorOf(flags), Date.now()));
      process.stdout.write(`limit ${name} = ${value} (${where || 'account'})\n`);
    });
  for (const [cmd, state, what] of [
    ['halt', 'HALTED', 'the kill switch: block new orders and cancel open ones'],
    ['reduce', 'REDUCING', 'only orders that reduce positions'],
    ['resume', 'ACTIVE', 're-enable trading'],
  ] as const) {
    renamedOptions(risk.command(cmd), { '--strategy <id>': '--strategy-id' })
      .description(what)
      .option('--strategy-id <id>', 'for one strategy run (default: the whole account)')
      .option(...actorOption('who makes the change (recorded)'))
      .option('--reason <text>', 'why')
      .action((flags: ScopeFlags) =>
        withRisk((r) =>
          r.setState(
            { strategyId: flags.strategyId },
            state as TradingState,
            flags.reason ?? null,
            actorOf(flags),
            Date.now(),
          ),
        ).then(() => {
          process.stdout.write(`${flags.strategyId ?? 'account'}: ${state}\n`);
        }),
      );
  }
}
