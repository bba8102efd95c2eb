import type { KafkaEvent } from '../../lib/kafka/decode';
import type { BookedTradeEventV1 } from '../../lib/kafka/schemas/booked-trade';
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
