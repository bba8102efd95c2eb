import net from 'node:net';
import { ApiKey, SUPPORTED_VERSIONS, isSupported } from './protocol/api';
import { ProtocolError, Reader, Writer } from './protocol/codec';
import { ErrorCode } from './protocol/errors';
import type { ConnectionInfo, Handler, Logger, RequestHeader } from './types';

interface ServerOptions {
  readonly host: string;
  readonly port: number;
  readonly maxRequestBytes: number;
  readonly handlers: ReadonlyMap<number, Handler>;
  readonly logger: Logger;
}

class Connection implements ConnectionInfo {
  closed = false;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private queue: Buffer[] = [];
  private busy = false;

  constructor(
    readonly id: number,
    readonly remote: string,
    private readonly socket: net.Socket,
    private readonly opts: ServerOptions,
  ) {}

  onData(data: Buffer): void {
    this.chunks.push(data);
    this.buffered += data.length;
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const size = head.readInt32BE(0);
      if (size < 0 || size > this.opts.maxRequestBytes) {
        this.fail(`frame of ${size} bytes is outside 0..${this.opts.maxRequestBytes}`);
        return;
      }
      if (this.buffered < 4 + size) break;
      const frame = this.take(4 + size).subarray(4);
      this.queue.push(frame);
    }
    void this.drain();
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) return first;
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined;
  }

  private take(n: number): Buffer {
    const first = this.peek(n);
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }

  /** Requests on one connection are answered one at a time, in order, as Kafka does. */
  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (!this.closed) {
        const frame = this.queue.shift();
        if (!frame) break;
        await this.handle(frame);
      }
    } finally {
      this.busy = false;
    }
  }

  private async handle(frame: Buffer): Promise<void> {
    const r = new Reader(frame);
    let header: RequestHeader;
    try {
      header = { apiKey: r.int16(), apiVersion: r.int16(), correlationId: r.int32(), clientId: null };
      if (header.apiKey === ApiKey.ApiVersions && !isSupported(header.apiKey, header.apiVersion)) {
        // KIP-511: a newer ApiVersions than we know is answered in the v0 layout with our ranges.
        this.send(header.correlationId, apiVersionsFallback());
        return;
      }
      (header as { clientId: string | null }).clientId = r.nullableString();
    } catch (err) {
      this.fail(`unreadable request header: ${describe(err)}`);
      return;
    }
    const handler = this.opts.handlers.get(header.apiKey);
    if (!handler || !isSupported(header.apiKey, header.apiVersion)) {
      this.opts.logger.warn(
        `conn ${this.id} ${this.remote}: unsupported api ${header.apiKey} v${header.apiVersion} from ${header.clientId ?? '-'}`,
      );
      this.send(header.correlationId, new Writer(8).int16(ErrorCode.UNSUPPORTED_VERSION));
      return;
    }
    try {
      const response = await handler({ header, body: r, conn: this });
      if (response) this.send(header.correlationId, response);
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.fail(`malformed api ${header.apiKey} v${header.apiVersion} request: ${err.message}`);
      } else {
        this.opts.logger.error(`conn ${this.id}: api ${header.apiKey} v${header.apiVersion} failed: ${describe(err)}`);
        this.fail('internal error');
      }
    }
  }

  private send(correlationId: number, body: Writer): void {
    if (this.closed) return;
    const chunks = body.toChunks();
    const head = Buffer.allocUnsafe(8);
    head.writeInt32BE(body.length + 4, 0);
    head.writeInt32BE(correlationId, 4);
    this.socket.cork();
    this.socket.write(head);
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
  }

  fail(reason: string, level: 'warn' | 'debug' = 'warn'): void {
    if (this.closed) return;
    this.opts.logger[level](`conn ${this.id} ${this.remote}: closing: ${reason}`);
    this.closed = true;
    this.queue = [];
    this.socket.destroy();
  }
}

function apiVersionsFallback(): Writer {
  const w = new Writer(512).int16(ErrorCode.UNSUPPORTED_VERSION);
  w.array([...SUPPORTED_VERSIONS], (w2, [key, range]) => w2.int16(key).int16(range.min).int16(range.max));
  return w;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface RunningServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function listen(opts: ServerOptions): Promise<RunningServer> {
  let nextId = 1;
  const conns = new Set<Connection>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    const conn = new Connection(nextId++, `${socket.remoteAddress}:${socket.remotePort}`, socket, opts);
    conns.add(conn);
    socket.on('data', (d) => conn.onData(d));
    socket.on('error', (err) => opts.logger.debug(`conn ${conn.id}: ${err.message}`));
    socket.on('close', () => {
      conn.closed = true;
      conns.delete(conn);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of conns) c.fail('broker stopping', 'debug');
        server.close(() => resolve());
      }),
  };
}
