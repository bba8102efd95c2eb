/**
 * Correlation ids: one id per captured trade (per HTTP request, per simulated or imported trade), set at capture and
 * carried in a Kafka header through every stage's output, so that `posttrade trace` and the logs can follow a trade
 * from capture to the report. The capture time travels beside it, for the end-to-end latency each stage reports.
 *
 * Kept in headers rather than in the event's JSON so that every wire schema stays as it is and a record that cannot
 * be decoded (a dead letter) still shows whose it was.
 */
import { randomUUID } from 'node:crypto';

import type { ConsumedRecord, DecodedRecord } from '../kafka/decode';

/** The Kafka header that carries the correlation id (UTF-8). */
export const CORRELATION_HEADER = 'correlation-id';
/** The Kafka header that carries the capture time (ISO 8601, UTC). */
export const CAPTURED_AT_HEADER = 'captured-at';
/** The HTTP header a client may set to choose the correlation id of its request (any case). */
export const CORRELATION_HTTP_HEADER = 'x-correlation-id';

/**
 * A well-formed correlation id: 1 to 128 characters of letters, digits and `.`, `_`, `:`, `-`. Enough for a UUID, an
 * API Gateway request id or an OMS's own reference; nothing that could break a log line, a header or a URL.
 */
const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;

export function isWellFormedCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && WELL_FORMED.test(value);
}

export function newCorrelationId(): string {
  return randomUUID();
}

/** The trace context a record carries: its correlation id and when its trade was captured. */
export interface TraceContext {
  readonly correlationId: string;
  /** ISO 8601; absent when the record did not say. */
  readonly capturedAt?: string;
}

/** The headers that carry `context` on an outgoing message. */
export function traceHeaders(context: TraceContext | undefined): Record<string, string> {
  if (context === undefined) return {};
  return {
    [CORRELATION_HEADER]: context.correlationId,
    ...(context.capturedAt === undefined ? {} : { [CAPTURED_AT_HEADER]: context.capturedAt }),
  };
}

function headerText(record: Pick<ConsumedRecord, 'headers'>, name: string): string | undefined {
  const header = record.headers.find((candidate) => candidate.key === name);
  return header === undefined ? undefined : header.value.toString('utf8');
}

/**
 * The trace context of a consumed record: its correlation-id header when well formed. A `trades.captured` record
 * without one (a producer that predates correlation ids, kcat by hand) gets an id derived from its coordinates, the
 * same on every redelivery, so that its trade can still be traced; `capturedAt` defaults to the record's own
 * timestamp there, since the capture is the publishing of that record.
 */
export function traceContextOf(
  record: Pick<ConsumedRecord, 'headers' | 'source' | 'timestamp'>,
  options: { readonly isCapture?: boolean } = {},
): TraceContext | undefined {
  const header = headerText(record, CORRELATION_HEADER);
  const capturedAtHeader = headerText(record, CAPTURED_AT_HEADER);
  const capturedAt =
    capturedAtHeader !== undefined && !Number.isNaN(Date.parse(capturedAtHeader))
      ? capturedAtHeader
      : options.isCapture === true && Number.isFinite(record.timestamp)
        ? new Date(record.timestamp).toISOString()
        : undefined;
  const correlationId = isWellFormedCorrelationId(header)
    ? header
    : options.isCapture === true
      ? `${record.source.topic}:${record.source.partition}:${record.source.offset}`
      : undefined;
  if (correlationId === undefined) return undefined;
  return { correlationId, ...(capturedAt === undefined ? {} : { capturedAt }) };
}

/**
 * The trace context of each decoded record of a batch under a key of its value (an ExecID, a trade id, a statement
 * id), so that a stage can put the context of the record an output is about on that output. Records without a
 * context are left out; of two records with one key, the later in delivery order wins.
 */
export function traceContextsBy<T>(
  records: readonly DecodedRecord<T>[],
  keyOf: (value: T) => string,
  options: { readonly isCapture?: boolean } = {},
): Map<string, TraceContext> {
  const contexts = new Map<string, TraceContext>();
  for (const decoded of records) {
    if (!decoded.ok) continue;
    const context = traceContextOf(decoded.record, options);
    if (context !== undefined) contexts.set(keyOf(decoded.value), context);
  }
  return contexts;
}

/** The capture time a record's `captured-at` header gives (epoch ms), whatever its correlation id. */
export function capturedAtOf(record: Pick<ConsumedRecord, 'headers'>): number | undefined {
  const at = Date.parse(headerText(record, CAPTURED_AT_HEADER) ?? '');
  return Number.isNaN(at) ? undefined : at;
}

/** The correlation id of a request: the client's `X-Correlation-Id` when well formed, else the request id, else new. */
export function correlationIdOfRequest(event: {
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly requestContext?: { readonly requestId?: string } | null;
}): string {
  const headers = event.headers ?? {};
  const chosen = Object.entries(headers).find(([name]) => name.toLowerCase() === CORRELATION_HTTP_HEADER)?.[1];
  if (isWellFormedCorrelationId(chosen)) return chosen;
  const requestId = event.requestContext?.requestId;
  return isWellFormedCorrelationId(requestId) ? requestId : newCorrelationId();
}
