import net from 'node:net';
import { Reader, Writer } from '../../../localstack/broker/protocol/codec';

/**
 * A bare Kafka wire client for tests that need bytes no well-behaved client sends: hand-made batches,
 * unsupported versions, garbage. Responses are matched by correlation id.
 */
export class RawKafkaClient {
  private buffered = Buffer.alloc(0);
  private waiting = new Map<number, (body: Reader) => void>();
  private nextCorrelation = 1;
  readonly closed: Promise<void>;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawKafkaClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host, () => resolve(new RawKafkaClient(socket)));
      socket.once('error', reject);
    });
  }

  private onData(d: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, d]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) return;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      const r = new Reader(frame);
      const correlationId = r.int32();
      this.waiting.get(correlationId)?.(r);
      this.waiting.delete(correlationId);
    }
  }

  /** Sends a request with a v1 header and resolves with the response body (after the correlation id). */
  request(apiKey: number, apiVersion: number, body: (w: Writer) => void): Promise<Reader> {
    const correlationId = this.nextCorrelation++;
    const w = new Writer().int16(apiKey).int16(apiVersion).int32(correlationId).nullableString('raw-test');
    body(w);
    const payload = w.toBuffer();
    const head = Buffer.alloc(4);
    head.writeInt32BE(payload.length);
    return new Promise((resolve, reject) => {
      this.waiting.set(correlationId, resolve);
      void this.closed.then(() => reject(new Error('connection closed before the response')));
      this.socket.write(Buffer.concat([head, payload]));
    });
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}
