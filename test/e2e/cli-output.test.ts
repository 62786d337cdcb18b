import { spawn } from 'node:child_process';
import { ROOT, KAIROS_ARGV } from '../support/run-cli.js';

describe('kairos output', () => {
  it('ends quietly with status 0 when its reader closes the pipe early (`kairos --help | head`)', async () => {
    const child = spawn(process.execPath, [...KAIROS_ARGV, '--help'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Closed before the process has loaded, so its first write meets a closed pipe.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });
});
