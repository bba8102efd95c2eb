/**
 * The Lambda handlers' bodies, with their dependencies passed in: functions/*.ts wrap these in middy with the
 * container's pool and producer; tests call them with a test database and broker. (Kept apart from the middy
 * wrappers also because @middy/core 6 is ESM-only and Jest's CommonJS registry cannot load it.)
 */
import type {
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyStructuredResultV2,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import type { Pool } from 'pg';

import { authorize, scopeOfRequest, scopeToContext, type RequestAuthorizer, type TokenTable } from '../api/auth';
import { HttpErrorCode, errorResponse, jsonBody, jsonResponse, withErrorBoundary, type ErrorLog } from '../api/http';
import { PgReferenceDataStore } from '../db/reference-store';
import { PgTradeStore } from '../db/trade-store';
import type { ValidatedTrade } from '../domain/validation';
import { decodeRecords, type KafkaEvent } from '../kafka/decode';
import type { EventPublisher } from '../kafka/producer';
import { correlationIdOfRequest } from '../observability/correlation';
import { decodeTradeEvent, ValidatedTradeEventV1Schema, type DecodeResult } from '../kafka/schemas/trade-event';
import { mapDecoded, versionedDecoder } from '../kafka/schemas/versioning';
import { PgBookedTradeOutbox } from './booked-outbox';
import { captureTrades, checkCaptureBody } from './capture';
import { PgCaptureLedger } from './capture-ledger';
import { persistValidatedTrades, type PersistSummary } from './persist';
import type { AccountOwners } from './trade-keys';
import { validateCapturedTrades, type ValidationSummary } from './validate';

export type AuthorizerContext = { readonly scope: string };

/** A capture request behind the local Lambda authorizer or, in the cloud, the JWT authorizer. */
export type CaptureEvent = Omit<APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext>, 'requestContext'> & {
  readonly requestContext: Omit<
    APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext>['requestContext'],
    'authorizer'
  > & {
    readonly authorizer?: RequestAuthorizer | null;
  };
};

/**
 * `POST /trades`: 202 with ids, 400 listing each field error, 403 for an account outside the token's scope, 413,
 * 415 for a body not sent as JSON; 500 (503 when the broker is unreachable) with a correlation id for anything else.
 */
export function captureHandler(
  publisher: EventPublisher,
  owners: AccountOwners,
  options: { readonly accountsClaim?: string; readonly log?: () => ErrorLog } = {},
) {
  const accountsClaim = options.accountsClaim ?? 'custom:accounts';
  const capture = async (event: CaptureEvent): Promise<APIGatewayProxyStructuredResultV2> => {
    const scope = scopeOfRequest(event.requestContext.authorizer, accountsClaim);
    if (scope === undefined) {
      return errorResponse(401, HttpErrorCode.UNAUTHORIZED, 'a valid bearer token is required');
    }
    const body = jsonBody(event);
    if (!body.ok) return body.response;
    const checked = checkCaptureBody(body.value);
    if (!checked.ok) return errorResponse(400, HttpErrorCode.INVALID, 'the request has invalid trades', checked.errors);
    const outside = scope.all ? [] : checked.value.filter((trade) => !scope.accounts.has(trade.account));
    if (outside.length > 0) {
      const accounts = [...new Set(outside.map((trade) => trade.account))].join(', ');
      return errorResponse(403, HttpErrorCode.FORBIDDEN, `the token may not capture for ${accounts}`);
    }
    const correlationId = correlationIdOfRequest(event);
    const ids = await captureTrades(checked.value, publisher, owners, 'api', correlationId);
    return jsonResponse(
      202,
      { accepted: ids.length, correlationId, trades: ids.map(({ execId, tradeId }) => ({ execId, tradeId })) },
      { 'x-correlation-id': correlationId },
    );
  };
  return withErrorBoundary('captureTrades', capture, options.log);
}

/** HTTP API Lambda request authorizer (simple responses): `Authorization: Bearer <token>`. */
export function authorizerHandler(tokens: TokenTable) {
  return (
    event: Pick<APIGatewayRequestAuthorizerEventV2, 'headers'>,
  ): Promise<APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>> => {
    const header = event.headers?.authorization ?? event.headers?.Authorization;
    const scope = authorize(header, tokens);
    return Promise.resolve(
      scope === undefined
        ? { isAuthorized: false, context: { scope: '' } }
        : { isAuthorized: true, context: { scope: scopeToContext(scope) } },
    );
  };
}

export interface PipelineDeps {
  readonly pool: Pool;
  readonly publisher: EventPublisher;
  readonly now?: () => Date;
  /** How long an amend or cancel may wait for its trade (lib/pipeline/pending-events.ts); default an hour. */
  readonly pendingEventMaxWaitSeconds?: number;
}

function stores(deps: PipelineDeps) {
  return {
    referenceData: new PgReferenceDataStore(deps.pool),
    trades: new PgTradeStore(deps.pool),
    ledger: new PgCaptureLedger(deps.pool),
    bookedOutbox: new PgBookedTradeOutbox(deps.pool),
    publisher: deps.publisher,
    pool: deps.pool,
    ...(deps.now === undefined ? {} : { now: deps.now }),
    ...(deps.pendingEventMaxWaitSeconds === undefined
      ? {}
      : { pendingEventMaxWaitSeconds: deps.pendingEventMaxWaitSeconds }),
  };
}

/** On `trades.captured`. */
export function validateHandler(deps: PipelineDeps) {
  const services = stores(deps);
  return (event: KafkaEvent): Promise<ValidationSummary> =>
    validateCapturedTrades(decodeRecords(event, decodeTradeEvent), services);
}

/** The persistence stage's decoder of `trades.validated`: a trade event with its resolved settlement date. */
export const decodeValidatedTrade = mapDecoded(
  versionedDecoder({ version: 1, schema: ValidatedTradeEventV1Schema }),
  (event): DecodeResult<ValidatedTrade> => {
    const decoded = decodeTradeEvent(event);
    return decoded.ok
      ? { ok: true, value: { ...decoded.value, settlementDate: event.settlementDate } }
      : { ok: false, errors: decoded.errors };
  },
);

/** On `trades.validated`. */
export function persistHandler(deps: PipelineDeps) {
  const services = stores(deps);
  return (event: KafkaEvent): Promise<PersistSummary> =>
    persistValidatedTrades(decodeRecords(event, decodeValidatedTrade), services);
}
