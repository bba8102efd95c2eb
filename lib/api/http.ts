/**
 * HTTP helpers for the platform's API (API Gateway HTTP API, payload format 2.0): request bodies read the strict
 * way, the error shapes every response uses — `{ error: { code, message, fields?, correlationId? } }` — and the
 * boundary that turns any unexpected exception into a 500 that names a correlation id and nothing else.
 */
import { randomUUID } from 'node:crypto';

import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

import { JsonErrorCode, parseStrictJson, type JsonError } from '../kafka/strict-json';
import type { FieldError } from '../kafka/schemas/trade-event';
import { getLogger } from '../observability/logger';

/**
 * Largest request body accepted, in bytes: 1 MiB holds about a thousand trades; API Gateway's own limit (10 MB)
 * is far above what one synchronous capture should carry. A policy choice.
 */
export const MAX_BODY_BYTES = 1_048_576;

export const HttpErrorCode = {
  MALFORMED: 'MALFORMED_REQUEST',
  INVALID: 'INVALID_TRADES',
  TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FORBIDDEN: 'FORBIDDEN',
  UNAUTHORIZED: 'UNAUTHORIZED',
  UNAVAILABLE: 'UNAVAILABLE',
  INTERNAL: 'INTERNAL_ERROR',
} as const;
export type HttpErrorCode = (typeof HttpErrorCode)[keyof typeof HttpErrorCode];

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export function errorResponse(
  statusCode: number,
  code: string,
  message: string,
  fields?: readonly FieldError[],
): APIGatewayProxyStructuredResultV2 {
  return jsonResponse(statusCode, { error: { code, message, ...(fields === undefined ? {} : { fields }) } });
}

export type BodyResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly response: APIGatewayProxyStructuredResultV2 };

/** The media types a JSON body may be sent as: application/json and any `+json` type (RFC 6839). */
function isJsonMediaType(contentType: string): { ok: true } | { ok: false; message: string } {
  const [type = '', ...params] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
    return { ok: false, message: `the body must be application/json, not ${type === '' ? 'untyped' : type}` };
  }
  const charset = params.find((param) => param.startsWith('charset='))?.slice('charset='.length);
  // JSON is UTF-8 (RFC 8259 §8.1); a client that says otherwise would have its text read wrongly.
  if (charset !== undefined && charset.replace(/^"|"$/g, '') !== 'utf-8') {
    return { ok: false, message: `JSON is read as UTF-8; charset=${charset} is not accepted` };
  }
  return { ok: true };
}

function header(headers: Readonly<Record<string, string | undefined>> | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  const found = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
  return found?.[1];
}

const jsonFieldError = (error: JsonError): FieldError => ({ path: error.path, message: error.message });

const BODY_MESSAGES: Readonly<Record<JsonErrorCode, string>> = {
  [JsonErrorCode.EMPTY]: 'empty body',
  [JsonErrorCode.NOT_UTF8]: 'body is not valid UTF-8',
  [JsonErrorCode.NOT_JSON]: 'body is not valid JSON',
  [JsonErrorCode.DUPLICATE_KEY]: 'the body names a key twice in one object',
  [JsonErrorCode.UNSTORABLE_TEXT]: 'the body holds text that cannot be stored (U+0000 or an unpaired surrogate)',
};

/**
 * The body's bytes. API Gateway always sends a string (or no body); serverless-offline, which runs the handlers
 * locally, hands over the value it parsed itself when that value is falsy (`0`, `false`; `null` becomes no body at
 * all) and a Buffer for some bodies: those are turned back into the bytes the client sent, so that the local stack
 * answers as the cloud one does (a 400 naming the problem, not a TypeError's 500).
 */
function bodyBytes(body: unknown, isBase64Encoded: boolean): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, isBase64Encoded ? 'base64' : 'utf8');
  if (Buffer.isBuffer(body)) return body;
  return Buffer.from(JSON.stringify(body) ?? '', 'utf8');
}

/**
 * The request's JSON body, or the response to send instead: 415 for a body that is not declared as JSON, 413 over
 * {@link MAX_BODY_BYTES}, 400 for an empty body, bytes that are not UTF-8, text that is not one JSON value, an
 * object that names a key twice (JSON.parse would keep the last one silently) or text PostgreSQL cannot store.
 */
export function jsonBody(
  event: Pick<APIGatewayProxyEventV2, 'isBase64Encoded'> & {
    readonly body?: string | null;
    readonly headers?: Readonly<Record<string, string | undefined>>;
  },
): BodyResult {
  const raw = bodyBytes(event.body, event.isBase64Encoded === true);
  if (raw.length > MAX_BODY_BYTES) {
    return {
      ok: false,
      response: errorResponse(
        413,
        HttpErrorCode.TOO_LARGE,
        `body is ${raw.length} bytes; the limit is ${MAX_BODY_BYTES}`,
      ),
    };
  }
  if (raw.length === 0) return { ok: false, response: errorResponse(400, HttpErrorCode.MALFORMED, 'empty body') };
  const mediaType = isJsonMediaType(header(event.headers, 'content-type') ?? '');
  if (!mediaType.ok) {
    return { ok: false, response: errorResponse(415, HttpErrorCode.UNSUPPORTED_MEDIA_TYPE, mediaType.message) };
  }
  const parsed = parseStrictJson(raw);
  if (!parsed.ok) {
    const message = BODY_MESSAGES[parsed.errors[0]?.code ?? JsonErrorCode.NOT_JSON];
    return {
      ok: false,
      response: errorResponse(400, HttpErrorCode.MALFORMED, message, parsed.errors.map(jsonFieldError)),
    };
  }
  return { ok: true, value: parsed.value };
}

/** What the boundary logs for an unexpected error; a Powertools logger in the functions, a recorder in tests. */
export interface ErrorLog {
  error(message: string, attributes: Record<string, unknown>): void;
}

function containerLogger(): ErrorLog {
  return getLogger();
}

type WithRequestId = { readonly requestContext?: { readonly requestId?: string } | null };

/**
 * Wraps an HTTP handler so that an exception never reaches API Gateway (which would answer a bare 500, or locally a
 * stack trace): the caller gets a 500 — or a 503 when the error says a retry can help (`retriable`, e.g. the broker
 * or the database unreachable) — with a correlation id and no internals, and the error is logged, stack and cause
 * included, under that id. The id is API Gateway's request id when there is one, so that it also finds the access
 * log line.
 */
export function withErrorBoundary<E extends WithRequestId>(
  name: string,
  handler: (event: E) => Promise<APIGatewayProxyStructuredResultV2>,
  log: () => ErrorLog = containerLogger,
): (event: E) => Promise<APIGatewayProxyStructuredResultV2> {
  return async (event) => {
    try {
      return await handler(event);
    } catch (error: unknown) {
      const correlationId = event.requestContext?.requestId ?? randomUUID();
      const retriable =
        typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true;
      log().error(`${name}: unhandled error`, { correlationId, retriable, error: describeError(error) });
      const [status, code, message] = retriable
        ? ([503, HttpErrorCode.UNAVAILABLE, 'a service the API needs is unavailable; try again shortly'] as const)
        : ([500, HttpErrorCode.INTERNAL, 'an unexpected error occurred'] as const);
      return jsonResponse(
        status,
        { error: { code, message: `${message} (correlation id ${correlationId})`, correlationId } },
        { 'x-correlation-id': correlationId, ...(retriable ? { 'retry-after': '1' } : {}) },
      );
    }
  };
}

function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { value: String(error) };
  return {
    name: error.name,
    message: error.message,
    stack: error.stack,
    ...(error.cause === undefined ? {} : { cause: describeError(error.cause) }),
  };
}
