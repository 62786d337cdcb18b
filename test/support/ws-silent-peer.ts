import net from 'node:net';

/** A WebSocket peer that completes the upgrade, then never answers again (stalled). */
export async function silentPeer(url: string): Promise<net.Socket> {
  const { port } = new URL(url);
  const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.write(
      'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    socket.once('data', (b) =>
      String(b).startsWith('HTTP/1.1 101') ? resolve() : reject(new Error(String(b))),
    );
  });
  socket.on('data', () => undefined); // read, never answered
  return socket;
}
