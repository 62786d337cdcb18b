import { Command } from 'commander';
import fc from 'fast-check';
import {
  actorOf,
  actorOption,
  cliConfig,
  withWsMaxConnections,
} from '../../../src/cli/cli-config.js';
import { loadConfig } from '../../../src/system/config.js';

describe('the CLI config', () => {
  it('is read from the environment once', () => {
    expect(cliConfig()).toBe(cliConfig());
    expect(cliConfig()).toEqual(loadConfig(process.env));
  });

  it('--actor wins over USER, which wins over cli', () => {
    expect(actorOf({ actor: 'rita' })).toBe('rita');
    expect(actorOf({})).toBe(loadConfig(process.env).actor);
    expect(loadConfig({ USER: 'ops' }).actor).toBe('ops');
    expect(loadConfig({}).actor).toBe('cli');
  });

  it('--actor has no commander default, so an unset flag falls through to the environment', () => {
    const cmd = new Command('x').option(...actorOption()).exitOverride();
    cmd.parse([], { from: 'user' });
    expect(cmd.opts()).toEqual({});
    expect(cmd.helpInformation()).toContain('(default: $USER, else cli)');
  });

  it('--ws-max-connections-per-address wins over the variable; a bad one is USAGE naming it and its rule', () => {
    const config = loadConfig({ KAIROS_WS_MAX_CONNECTIONS_PER_ADDRESS: '7' });
    expect(withWsMaxConnections(config, {}).wsMaxConnectionsPerAddress).toBe(7);
    expect(
      withWsMaxConnections(config, { wsMaxConnectionsPerAddress: '200' })
        .wsMaxConnectionsPerAddress,
    ).toBe(200);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -5, max: 0 }).map(String),
          fc.integer({ min: 100_001, max: 2 ** 40 }).map(String),
          fc.constantFrom('1.5', '1e3', ' 5', 'five', '', '0x10'),
        ),
        (bad) => {
          expect(() => withWsMaxConnections(config, { wsMaxConnectionsPerAddress: bad })).toThrow(
            expect.objectContaining({
              code: 'USAGE',
              message: `--ws-max-connections-per-address: must be an integer 1-100000, was ${JSON.stringify(bad)}`,
            }),
          );
        },
      ),
    );
  });
});
