import { Kafka, logLevel } from 'kafkajs';
import net from 'node:net';
import { ApiKey } from '../../../../localstack/broker/protocol/api';
import { Writer } from '../../../../localstack/broker/protocol/codec';
import { buildBatch } from '../../helpers/batches';
import { startTestBroker, type TestBroker } from '../../helpers/broker';

/** Deterministic PRNG (mulberry32) so a failing fuzz case can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function frame(payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeInt32BE(payload.length);
  return Buffer.concat([head, payload]);
}

function validProduce(): Buffer {
  const batch = buildBatch({ values: ['fuzz'] });
  return new Writer()
    .int16(ApiKey.Produce)
    .int16(7)
    .int32(1)
    .nullableString('fuzz')
    .nullableString(null)
    .int16(1)
    .int32(1000)
    .array([0], (t) => t.string('fuzzed').array([0], (p) => p.int32(0).nullableBytes(batch)))
    .toBuffer();
}

function validMetadata(): Buffer {
  return new Writer()
    .int16(ApiKey.Metadata)
    .int16(6)
    .int32(2)
    .nullableString('fuzz')
    .array(['fuzzed'], (w, t) => w.string(t))
    .bool(true)
    .toBuffer();
}

/** Sends bytes on a fresh connection and waits until the broker closes it or a short quiet period passes. */
function send(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(bytes));
    socket.on('data', () => undefined);
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    socket.setTimeout(500, () => {
      socket.destroy();
      resolve();
    });
  });
}

describe('broker under garbage input', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker({ maxRequestBytes: 1024 * 1024 });
  });
  afterAll(() => broker.destroy());

  it('closes only the offending connections and keeps serving everyone else', async () => {
    const kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'steady', messages: [{ value: 'before' }] });

    const random = prng(20241124);
    const cases: Buffer[] = [
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      frame(Buffer.alloc(0)),
      frame(Buffer.from([0, 3])),
      Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3]),
      Buffer.from([0xff, 0xff, 0xff, 0xf0]),
      frame(validProduce()).subarray(0, 40),
    ];
    for (let i = 0; i < 150; i++) {
      const base = i % 2 ? validProduce() : validMetadata();
      const mutated = Buffer.from(base);
      const flips = 1 + Math.floor(random() * 8);
      for (let f = 0; f < flips; f++) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
      const cut = random() < 0.3 ? mutated.subarray(0, Math.floor(random() * mutated.length)) : mutated;
      cases.push(random() < 0.5 ? frame(cut) : cut);
      cases.push(Buffer.from(Array.from({ length: 1 + Math.floor(random() * 64) }, () => Math.floor(random() * 256))));
    }
    for (let i = 0; i < cases.length; i += 10) {
      await Promise.all(cases.slice(i, i + 10).map((c) => send(broker.port, c)));
      // Interleave real traffic: it must keep working throughout.
      await producer.send({ topic: 'steady', messages: [{ value: `during-${i}` }] });
    }
    await producer.send({ topic: 'steady', messages: [{ value: 'after' }] });
    await producer.disconnect();

    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('steady');
    await admin.disconnect();
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(2 + Math.ceil(cases.length / 10));
    expect(broker.logger.warnings.some((w) => /closing: (frame of|malformed|unreadable)/.test(w))).toBe(true);
  });
});
