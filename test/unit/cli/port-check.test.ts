import net from 'node:net';
import { checkPortFree } from '../../../src/cli/port-check.js';

describe('checkPortFree', () => {
  it('refuses a taken port at once with PORT_IN_USE naming the flag, and passes a free one', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen({ host: '127.0.0.1', port: 0 }, r));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      await expect(checkPortFree('127.0.0.1', port)).rejects.toMatchObject({
        code: 'PORT_IN_USE',
        message: expect.stringContaining(`--port ${port}: already in use`),
      });
    } finally {
      await new Promise((r) => taken.close(r));
    }
    await expect(checkPortFree('127.0.0.1', port)).resolves.toBeUndefined();
    await expect(checkPortFree('127.0.0.1', 0)).resolves.toBeUndefined();
  });
});
