/**
 * A TCP proxy that forwards every connection on `listenPort` to `target`, and cuts them all on command: the
 * network failing under a client mid-request or mid-transaction (both sides see the socket reset), as a
 * failover or a flaky link does. No third-party service; the fault suite puts one between the handlers and
 * PostgreSQL and one in front of the broker.
 */
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Connections open now. */
  open(): number;
  /** Destroys every open connection (both sides); returns how many were cut. New ones are accepted again at once. */
  cutAll(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(options: {
  listenPort: number;
  targetPort: number;
  targetHost?: string;
}): Promise<TcpProxy> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ port: options.targetPort, host: options.targetHost ?? '127.0.0.1' });
    const pair = { client, upstream };
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listenPort, '127.0.0.1', () => resolve());
  });
  return {
    port: options.listenPort,
    open: () => pairs.size,
    cutAll: () => {
      const cut = pairs.size;
      for (const { client, upstream } of [...pairs]) {
        // resetAndDestroy sends an RST: the peer sees ECONNRESET, not an orderly end of stream.
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      }
      pairs.clear();
      return cut;
    },
    close: async () => {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
