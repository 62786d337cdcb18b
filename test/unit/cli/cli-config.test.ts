import { Command } from 'commander';
import { actorOf, actorOption, cliConfig } from '../../../src/cli/cli-config.js';
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
});
