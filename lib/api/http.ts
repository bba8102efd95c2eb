/**
 * HTTP helpers for the capture API (API Gateway HTTP API, payload format 2.0): body decoding with a size limit,
 * and the error shapes every response uses — `{ error: { code, message, fields? } }`.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

import type { FieldError } from '../kafka/schemas/trade-event';

/**
 * Largest request body accepted, in bytes: 1 MiB holds about a thousand trades; API Gateway's own limit (10 MB)
 * is far above what one synchronous capture should carry. A policy choice.
 */
export const MAX_BODY_BYTES = 1_048_576;

export const HttpErrorCode = {
  MALFORMED: 'MALFORMED_REQUEST',
  INVALID: 'INVALID_TRADES',
  TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FORBIDDEN: 'FORBIDDEN',
  UNAUTHORIZED: 'UNAUTHORIZED',
  UNAVAILABLE: 'UNAVAILABLE',
} as const;
export type HttpErrorCode = (typeof HttpErrorCode)[keyof typeof HttpErrorCode];

export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export function errorResponse(
  statusCode: number,
  code: HttpErrorCode,
  message: string,
  fields?: readonly FieldError[],
): APIGatewayProxyStructuredResultV2 {
  return jsonResponse(statusCode, { error: { code, message, ...(fields === undefined ? {} : { fields }) } });
}

export type BodyResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly response: APIGatewayProxyStructuredResultV2 };

/** The request's JSON body, or the 413/400 response to send instead. */
export function jsonBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): BodyResult {
  const raw =
    event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
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
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) };
  } catch {
    return { ok: false, response: errorResponse(400, HttpErrorCode.MALFORMED, 'body is not valid JSON') };
  }
}
