/**
 * Capture: trade events from an API caller (or a file, or the simulator), checked against the wire schema and
 * published to `trades.captured` keyed by the account's beneficial owner (lib/pipeline/trade-keys.ts), so that one
 * owner's trades, and so one account's, keep their order.
 */
import type { EventPublisher } from '../kafka/producer';
import { newCorrelationId, traceHeaders } from '../observability/correlation';
import { TradeEventV1Schema, type FieldError, type TradeEventV1 } from '../kafka/schemas/trade-event';
import { Topics } from '../kafka/topics';
import { tradeKey, type AccountOwners } from './trade-keys';

/** Most trades accepted in one request or file chunk: keeps one publish well under the broker's message limits. */
export const MAX_TRADES_PER_CAPTURE = 1000;

export interface CapturedId {
  readonly execId: string;
  readonly tradeId: string;
  readonly correlationId: string;
}

export type CaptureCheck =
  { readonly ok: true; readonly value: TradeEventV1[] } | { readonly ok: false; readonly errors: FieldError[] };

/**
 * Checks a request body: one trade event, an array of them, or `{ "trades": [...] }`. Every field error of every
 * trade is reported, batch members prefixed with their index (`trades.3.price`). All or nothing: a batch with one
 * bad trade publishes none, so that the caller can fix and resend it whole.
 */
export function checkCaptureBody(body: unknown): CaptureCheck {
  const batch = Array.isArray(body)
    ? { items: body as unknown[], prefix: '' }
    : typeof body === 'object' && body !== null && 'trades' in body && Array.isArray(body.trades)
      ? { items: body.trades as unknown[], prefix: 'trades.' }
      : undefined;
  const items = batch?.items ?? [body];
  if (items.length === 0) return { ok: false, errors: [{ path: batch?.prefix ?? '', message: 'no trades' }] };
  if (items.length > MAX_TRADES_PER_CAPTURE) {
    return { ok: false, errors: [{ path: '', message: `at most ${MAX_TRADES_PER_CAPTURE} trades per request` }] };
  }
  const errors: FieldError[] = [];
  const events: TradeEventV1[] = [];
  items.forEach((item, index) => {
    const parsed = TradeEventV1Schema.safeParse(item);
    if (parsed.success) events.push(parsed.data);
    else {
      const prefix = batch === undefined ? '' : `${batch.prefix}${index}`;
      for (const issue of parsed.error.issues) {
        const path = [prefix, ...issue.path.map(String)].filter((part) => part !== '').join('.');
        errors.push({ path, message: issue.message });
      }
    }
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: events };
}

/**
 * Publishes checked trade events to `trades.captured`, keyed by the account's owner (`owners`), each with its
 * correlation id and capture time in headers (lib/observability/correlation.ts); returns their ids in order.
 * `correlationId` is the request's (every trade of one HTTP request shares it); without one, each trade gets its
 * own (simulator, file import).
 */
export async function captureTrades(
  events: readonly TradeEventV1[],
  publisher: EventPublisher,
  owners: AccountOwners,
  source?: string,
  correlationId?: string,
  now: () => Date = () => new Date(),
): Promise<CapturedId[]> {
  const capturedAt = now().toISOString();
  const ids = events.map((event) => ({
    execId: event.execId,
    tradeId: event.tradeId,
    correlationId: correlationId ?? newCorrelationId(),
  }));
  const ownerOf = await owners.ownersOf([...new Set(events.map((event) => event.account))]);
  await publisher.publish(
    events.map((event, index) => ({
      topic: Topics.TRADES_CAPTURED,
      key: tradeKey(event.account, ownerOf),
      value: event.source === undefined && source !== undefined ? { ...event, source } : event,
      headers: traceHeaders({ correlationId: ids[index]?.correlationId ?? newCorrelationId(), capturedAt }),
    })),
  );
  return ids;
}
