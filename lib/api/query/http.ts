/**
 * Responses of the query API, in the error shape every endpoint of the platform uses
 * (`{ error: { code, message, fields? } }`, lib/api/http.ts), with the codes the read side needs.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { z } from 'zod';

import { jsonResponse } from '../http';

export const QueryErrorCode = {
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  INVALID_QUERY: 'INVALID_QUERY',
  NOT_FOUND: 'NOT_FOUND',
  NOT_ACCEPTABLE: 'NOT_ACCEPTABLE',
} as const;
export type QueryErrorCode = (typeof QueryErrorCode)[keyof typeof QueryErrorCode];

export interface FieldError {
  readonly path: string;
  readonly message: string;
}

export function ok(body: unknown, headers: Readonly<Record<string, string>> = {}): APIGatewayProxyStructuredResultV2 {
  const response = jsonResponse(200, body);
  return { ...response, headers: { ...response.headers, ...headers } };
}

export function fail(
  statusCode: 400 | 401 | 403 | 404 | 406,
  code: QueryErrorCode,
  message: string,
  fields?: readonly FieldError[],
): APIGatewayProxyStructuredResultV2 {
  return jsonResponse(statusCode, { error: { code, message, ...(fields === undefined ? {} : { fields }) } });
}

/** Every issue of a failed parse, as `{ path, message }` with the parameter's name as its path. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}
