import { servePort } from '../../../src/cli/serve-command.js';
import { loadConfig } from '../../../src/system/config.js';

describe('kairos serve --port', () => {
  it('is --port, else PORT, else 8080', () => {
    expect(servePort('7000', loadConfig({ PORT: '9090' }))).toBe(7000);
    expect(servePort(undefined, loadConfig({ PORT: '9090' }))).toBe(9090);
    expect(servePort(undefined, loadConfig({ PORT: '0' }))).toBe(0);
    expect(servePort(undefined, loadConfig({}))).toBe(8080);
  });

  it('names the flag when it is bad', () => {
    expect(() => servePort('http', loadConfig({ PORT: '9090' }))).toThrow(/^--port: /);
    expect(() => servePort('70000', loadConfig({}))).toThrow(/^--port: /);
  });
});
