/** The probe that tells a service from whatever else holds its port (lib/cli/reach.ts), on local sockets. */
import net from 'node:net';

import { Hello, probe } from '../../../lib/cli/reach';

async function server(
  onData: (socket: net.Socket, data: Buffer) => void,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (data) => onData(socket, data));
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const address = srv.address() as net.AddressInfo;
  return {
    port: address.port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        srv.close(() => resolve());
      }),
  };
}

describe('probe', () => {
  it('accepts the answers of Kafka (its correlation id) and PostgreSQL (S or N)', async () => {
    const kafka = await server((socket, data) => {
      const answer = Buffer.alloc(10);
      answer.writeInt32BE(6, 0);
      data.copy(answer, 4, 8, 12); // the request's correlation id
      socket.write(answer);
    });
    const pg = await server((socket) => socket.write('N'));

    await expect(probe({ host: '127.0.0.1', port: kafka.port }, 2000, Hello.KAFKA)).resolves.toBeUndefined();
    await expect(probe({ host: '127.0.0.1', port: pg.port }, 2000, Hello.POSTGRES)).resolves.toBeUndefined();
    await kafka.close();
    await pg.close();
  });

  it('refuses an HTTP server, a silent one and a closed port, saying which', async () => {
    const http = await server((socket) => socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n'));
    const silent = await server(() => undefined);
    const closed = await server(() => undefined);
    await closed.close();

    await expect(probe({ host: '127.0.0.1', port: http.port }, 2000, Hello.KAFKA)).resolves.toBe(
      'something answered that is not a Kafka broker',
    );
    await expect(probe({ host: '127.0.0.1', port: silent.port }, 200, Hello.POSTGRES)).resolves.toBe(
      'connected, but no answer within 0.2 s',
    );
    await expect(probe({ host: '127.0.0.1', port: closed.port }, 2000, Hello.KAFKA)).resolves.toBe(
      'connection refused',
    );
    await http.close();
    await silent.close();
  });
});
