import type { MSKEvent } from 'aws-lambda';

import type { KafkaEvent } from '../../lib/kafka/decode';
import type { BookedTradeEventV1 } from '../../lib/kafka/schemas/booked-trade';
import type { TradeEventV1 } from '../../lib/kafka/schemas/trade-event';
import { loadEvent } from './events';

/**
 * Builds MSK events for handler tests: the trades-booked fixture's envelope around JSON values, all on partition
 * 0, with offsets that keep rising across the events one factory makes (as a real partition's would).
 */
export function mskEventFactory(): (topic: string, values: readonly { key: string; value: unknown }[]) => KafkaEvent {
  let offset = 0;
  return (topic, values) => {
    const envelope = loadEvent<KafkaEvent>('trades-booked');
    const records = values.map((v) => ({
      topic,
      partition: 0,
      offset: offset++,
      timestamp: 1716561001000,
      timestampType: 'CREATE_TIME',
      key: Buffer.from(v.key).toString('base64'),
      value: Buffer.from(JSON.stringify(v.value)).toString('base64'),
      headers: [],
    }));
    return { ...envelope, records: { [`${topic}-0`]: records } };
  };
}

/** The trades-booked fixture's booked trade with some fields changed. */
export function bookedTrade(change: Partial<BookedTradeEventV1['trade']>): BookedTradeEventV1 {
  const envelope = loadEvent<KafkaEvent>('trades-booked');
  const first = Object.values(envelope.records)[0]?.[0];
  const template = JSON.parse(Buffer.from(first?.value ?? '', 'base64').toString('utf8')) as BookedTradeEventV1;
  const trade = { ...template.trade, ...change };
  return { ...template, trade, settlementDate: trade.settlementDate ?? template.settlementDate };
}

/** The envelope of an MSK event (test/events/trades-booked.json's), without its records. */
const MSK_ENVELOPE: Omit<MSKEvent, 'records'> = (() => {
  const { records: _records, ...envelope } = loadEvent<MSKEvent>('trades-booked');
  return envelope;
})();

/**
 * An MSK event carrying the given raw record values (base64 on the wire, as Lambda delivers them; `null` for a
 * tombstone) on partition 0 of `topic`, offsets from 0.
 */
export function rawKafkaEvent(topic: string, values: readonly (Uint8Array | null)[]): KafkaEvent {
  const records = values.map((value, offset) => ({
    topic,
    partition: 0,
    offset,
    timestamp: 1716561001000,
    timestampType: 'CREATE_TIME',
    key: Buffer.from('ACC-001').toString('base64'),
    value: value === null ? null : Buffer.from(value).toString('base64'),
    headers: [],
  }));
  return { ...MSK_ENVELOPE, records: { [`${topic}-0`]: records } };
}

/** A trade as validation publishes it: the settlement date resolved (US T+2 before 2024-05-28: 2024-04-04). */
export function validatedTrade(event: TradeEventV1): unknown {
  return { ...event, settlementDate: '2024-04-04', validatedAt: '2024-04-02T14:31:00.000Z' };
}

/**
 * Builds Lambda MSK events holding values on one partition of a topic, keyed `ACC`; the offsets one factory hands
 * out rise per topic and partition, as a real partition's would.
 */
export function partitionedEventFactory(): (
  topic: string,
  values: readonly unknown[],
  partition: number,
) => KafkaEvent {
  const offsets = new Map<string, number>();
  return (topic, values, partition) => {
    const key = `${topic}-${partition}`;
    const first = offsets.get(key) ?? 0;
    offsets.set(key, first + values.length);
    return {
      eventSource: 'aws:kafka',
      eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/posttrade/test',
      bootstrapServers: 'localhost:9092',
      records: {
        [key]: values.map((value, index) => ({
          topic,
          partition,
          offset: first + index,
          timestamp: 1_712_068_200_000,
          timestampType: 'CREATE_TIME',
          key: Buffer.from('ACC').toString('base64'),
          value: Buffer.from(JSON.stringify(value)).toString('base64'),
          headers: [],
        })),
      },
    };
  };
}
