import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { buildProgram } from '../../../src/cli/program.js';
import { commandPath, EXAMPLES } from '../../../src/cli/help-examples.js';

const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
const help = (c: Command) => {
  let out = '';
  c.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  c.outputHelp();
  return out;
};

describe('the kairos command tree', () => {
  let program: Command;
  beforeAll(async () => {
    program = await buildProgram();
  });

  it('ends every command’s --help with two or three real examples (one for a few one-liners)', () => {
    for (const c of all(program)) {
      const text = help(c);
      const tail = text.slice(text.lastIndexOf('Examples:'));
      expect([commandPath(c), text.includes('Examples:')]).toEqual([commandPath(c), true]);
      expect(tail.trim().split('\n').length).toBeGreaterThanOrEqual(2);
      for (const line of tail.trim().split('\n').slice(1))
        expect(line).toMatch(/^ {2}\$ .*kairos /);
    }
    // No example names a flag its command does not have (old names included).
    for (const c of all(program)) {
      const flags = new Set(c.options.flatMap((o) => [o.long, o.short]).filter(Boolean));
      if (c.commands.length > 0) continue;
      for (const ex of EXAMPLES[commandPath(c)] ?? [])
        for (const f of ex.match(/ --[a-z-]+/g) ?? [])
          expect([commandPath(c), flags.has(f.trim())]).toEqual([commandPath(c), true]);
    }
  });

  it('builds only the command a run names, with the same options, and the whole tree otherwise', async () => {
    for (const c of program.commands) {
      const one = await buildProgram(c.name());
      expect(one.commands.map((x) => x.name())).toContain(c.name());
      expect(one.commands.length).toBeLessThan(program.commands.length);
      const same = one.commands.find((x) => x.name() === c.name())!;
      expect(all(same).map((x) => [commandPath(x), help(x)])).toEqual(
        all(c).map((x) => [commandPath(x), help(x)]),
      );
    }
    for (const name of [undefined, 'nope', '--help'])
      expect((await buildProgram(name)).commands.length).toBe(program.commands.length);
  });

  it('answers --version with the package version', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(program.version()).toBe(pkg.version);
    // `kairos --version` / `-V` builds no command (a run of it loads none), with the same answer.
    for (const flag of ['--version', '-V']) {
      const alone = await buildProgram(flag);
      let out = '';
      alone.configureOutput({ writeOut: (s) => (out += s) });
      await expect(alone.parseAsync(['node', 'kairos', flag])).rejects.toMatchObject({
        code: 'commander.version',
        exitCode: 0,
      });
      expect([alone.commands.length, out]).toEqual([0, `${pkg.version}\n`]);
    }
  });

  it.each([
    [['venue', 'simulate', '--data', 'x.json', '--step', '0.001'], '--step: renamed --lot'],
    [['venue', 'simulate', '--data', 'x.json', '--fee', '0.001'], '--fee: renamed --commission'],
    [['risk', 'limit', 'maxPosition', '1', '--strategy', 's'], '--strategy: renamed --strategy-id'],
    [['risk', 'halt', '--strategy', 's'], '--strategy: renamed --strategy-id'],
  ])('refuses the old flag names with a hint: %j', async (args, message) => {
    const p = await buildProgram(args[0]);
    await expect(p.parseAsync(['node', 'kairos', ...args])).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining(message),
    });
  });

  // A replay reaches no venue: the flags of `--exchange` are refused before anything runs (before:
  // `--max-ban-wait` and the others were accepted and ignored). `kairos` exits 2 on `USAGE`.
  it.each(['--max-ban-wait=5', '--warmup=5', '--timeframe=5m', '--exchange-url=http://x'])(
    'paper --data refuses %s (only with --exchange)',
    async (flag) => {
      const p = await buildProgram('paper');
      const args = ['paper', 'examples/strategies/sma-cross.ts', '--data', 'x.json', flag];
      await expect(p.parseAsync(['node', 'kairos', ...args])).rejects.toMatchObject({
        code: 'USAGE',
        message: `${flag.split('=')[0]}: only with --exchange (a replay of --data reaches no venue, so it would be ignored)`,
      });
    },
  );
});
