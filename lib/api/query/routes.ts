/**
 * The query API's route table: for each route its method and path (as in serverless.yml), the zod schemas of its
 * path parameters, query string and response, an example, and the handler. The router (lib/api/query/router.ts)
 * validates with these schemas before a handler runs; the OpenAPI document (lib/api/query/openapi.ts) is generated
 * from the same table — one source, so the document describes exactly what the handlers do.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';

import type { TokenScope } from '../auth';
import { decodeCursor, encodeCursor, filterFingerprint } from './cursor';
import * as examples from './examples';
import { QueryErrorCode, fail, ok } from './http';
import { negotiateReportFormat, reportResponse } from './report';
import { fitResponse, type LargeResponses } from '../large-responses';
import * as S from './schemas';
import type { KeyedPage, Listing, QueryService } from './service';

export interface RouteInput<P, Q> {
  readonly path: P;
  readonly query: Q;
  readonly scope: TokenScope;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

export interface RouteDeps {
  readonly service: QueryService;
  /** Where a whole report too large for Lambda's response goes (lib/api/large-responses.ts). */
  readonly largeResponses: LargeResponses;
  /** The OpenAPI document (built from this table, hence passed in rather than imported). */
  readonly document: () => unknown;
}

export type ErrorStatus = 400 | 401 | 403 | 404 | 406;

export interface Route {
  readonly operationId: string;
  readonly method: 'GET';
  readonly path: string;
  readonly summary: string;
  /** Behind the bearer-token authorizer. */
  readonly authorized: boolean;
  readonly pathParams: z.ZodObject | undefined;
  readonly query: z.ZodObject;
  readonly response: { readonly name: string; readonly schema: z.ZodType; readonly example: unknown };
  /** Answers 303 to a stored copy when the document is too large for Lambda (lib/api/large-responses.ts). */
  readonly mayRedirect?: boolean;
  /** Content types of the 200 response besides JSON. */
  readonly alternateContent?: readonly string[];
  readonly errors: readonly ErrorStatus[];
  readonly handle: (input: RouteInput<unknown, unknown>, deps: RouteDeps) => Promise<APIGatewayProxyStructuredResultV2>;
}

/** Ties a handler's input types to its schemas; the table then holds routes of different types side by side. */
function route<P extends z.ZodObject | undefined, Q extends z.ZodObject>(
  spec: Omit<Route, 'handle' | 'pathParams' | 'query'> & {
    readonly pathParams: P;
    readonly query: Q;
    readonly handle: (
      input: RouteInput<P extends z.ZodObject ? z.output<P> : undefined, z.output<Q>>,
      deps: RouteDeps,
    ) => Promise<APIGatewayProxyStructuredResultV2>;
  },
): Route {
  return spec as unknown as Route;
}

/** The accounts a request may read: the one it names (if the scope allows it), else all the scope allows. */
export function readableAccounts(
  scope: TokenScope,
  account: string | undefined,
): { ok: true; value: readonly string[] | undefined } | { ok: false } {
  if (account !== undefined)
    return scope.all || scope.accounts.has(account) ? { ok: true, value: [account] } : { ok: false };
  return { ok: true, value: scope.all ? undefined : [...scope.accounts].sort() };
}

const forbidden = (account: string | undefined) =>
  fail(403, QueryErrorCode.FORBIDDEN, `the token may not read account ${account ?? '(unknown)'}`);

type PagedQuery = RouteInput<unknown, { readonly account?: string; readonly limit?: number; readonly cursor?: string }>;

/**
 * What a page is asked for: the accounts in scope, the key the cursor continues after (refused when it was issued
 * for other filters or another scope), the page size, and how to issue the next cursor; or the error response.
 */
function pageRequest(
  input: PagedQuery,
  filters: Readonly<Record<string, string | undefined>>,
):
  | {
      readonly ok: true;
      readonly listing: Listing;
      readonly cursor: (key: readonly string[] | undefined) => string | null;
    }
  | { readonly ok: false; readonly response: APIGatewayProxyStructuredResultV2 } {
  const accounts = readableAccounts(input.scope, input.query.account);
  if (!accounts.ok) return { ok: false, response: forbidden(input.query.account) };
  const fingerprint = filterFingerprint({ ...filters, accounts: accounts.value });
  const after = decodeCursor(input.query.cursor, fingerprint, 2);
  if (!after.ok) {
    return {
      ok: false,
      response: fail(400, QueryErrorCode.INVALID_QUERY, after.message, [{ path: 'cursor', message: after.message }]),
    };
  }
  return {
    ok: true,
    listing: { accounts: accounts.value, after: after.value, limit: input.query.limit ?? S.DEFAULT_PAGE_LIMIT },
    cursor: (key) => (key === undefined ? null : encodeCursor(fingerprint, key)),
  };
}

/** One page of a listing (pageRequest) with the next cursor. */
async function listingPage<T>(
  input: PagedQuery,
  filters: Readonly<Record<string, string | undefined>>,
  fetch: (listing: Listing) => Promise<KeyedPage<T>>,
): Promise<APIGatewayProxyStructuredResultV2> {
  const request = pageRequest(input, filters);
  if (!request.ok) return request.response;
  const page = await fetch(request.listing);
  return ok({ items: page.items, nextCursor: request.cursor(page.nextKey) });
}

const LISTING_ERRORS = [400, 401, 403] as const;

export const ROUTES: readonly Route[] = [
  route({
    operationId: 'getTrade',
    method: 'GET',
    path: '/trades/{id}',
    summary: 'A trade with every booked version, corrections still held for it, and rejection reasons',
    authorized: true,
    pathParams: S.TradeIdPath,
    query: S.NoQuery,
    response: { name: 'TradeDetail', schema: S.TradeDetail, example: examples.tradeDetailExample },
    errors: [400, 401, 403, 404],
    handle: async ({ path, scope }, { service }) => {
      const found = await service.trade(path.id);
      if (found === undefined) return fail(404, QueryErrorCode.NOT_FOUND, `no trade ${path.id}`);
      const outside = found.accounts.find((account) => !readableAccounts(scope, account).ok);
      // A scoped token must see the account to see the trade: one with no account known is not shown to it.
      if (outside !== undefined || (!scope.all && found.accounts.length === 0)) return forbidden(outside);
      return ok(found.detail);
    },
  }),
  route({
    operationId: 'listTrades',
    method: 'GET',
    path: '/trades',
    summary: 'Trades (current version) by account, trade date and status, ordered by trade date and id',
    authorized: true,
    pathParams: undefined,
    query: S.TradesQuery,
    response: { name: 'TradePage', schema: S.TradePage, example: examples.tradePageExample },
    errors: LISTING_ERRORS,
    handle: (input, { service }) =>
      listingPage(input, { date: input.query.date, status: input.query.status }, (listing) =>
        service.trades({ ...listing, date: input.query.date, status: input.query.status }),
      ),
  }),
  route({
    operationId: 'listPositions',
    method: 'GET',
    path: '/positions',
    summary: 'Positions per account and instrument, ordered by account and ISIN',
    authorized: true,
    pathParams: undefined,
    query: S.PositionsQuery,
    response: { name: 'PositionPage', schema: S.PositionPage, example: examples.positionPageExample },
    errors: LISTING_ERRORS,
    handle: (input, { service }) => listingPage(input, {}, (listing) => service.positions(listing)),
  }),
  route({
    operationId: 'getAccountRisk',
    method: 'GET',
    path: '/risk',
    summary: "An account's latest exposure, margin, end-of-day VaR and open risk alerts",
    authorized: true,
    pathParams: undefined,
    query: S.RiskQuery,
    response: { name: 'AccountRisk', schema: S.AccountRiskDoc, example: examples.accountRiskExample },
    errors: [400, 401, 403, 404],
    handle: async (input, { service }) => {
      const { account } = input.query;
      if (!readableAccounts(input.scope, account).ok) return forbidden(account);
      const risk = await service.risk(account);
      if (risk === undefined) return fail(404, QueryErrorCode.NOT_FOUND, `no risk evaluated for account ${account}`);
      return ok(risk);
    },
  }),
  route({
    operationId: 'getDailyPnl',
    method: 'GET',
    path: '/pnl/daily',
    summary: "A business date's P&L lines and account totals",
    authorized: true,
    pathParams: undefined,
    query: S.DailyPnlQuery,
    response: { name: 'DailyPnl', schema: S.DailyPnl, example: examples.dailyPnlExample },
    errors: [400, 401, 403, 404],
    handle: async (input, { service }) => {
      const { date } = input.query;
      const request = pageRequest(input, { date });
      if (!request.ok) return request.response;
      const pnl = await service.dailyPnl(date, request.listing);
      if (pnl === undefined) return fail(404, QueryErrorCode.NOT_FOUND, `no report for ${date}`);
      const { items, nextKey, ...head } = pnl;
      return ok({ ...head, lines: items, nextCursor: request.cursor(nextKey) });
    },
  }),
  route({
    operationId: 'getDailyReport',
    method: 'GET',
    path: '/reports/daily/{date}',
    summary: 'The daily P&L report as JSON, CSV or HTML, by extension (2024-05-28.csv) or else the Accept header',
    authorized: true,
    pathParams: S.ReportPath,
    query: S.NoQuery,
    response: { name: 'DailyReport', schema: S.DailyReport, example: examples.dailyReportExample },
    alternateContent: ['text/csv', 'text/html'],
    mayRedirect: true,
    errors: [400, 401, 404, 406],
    handle: async ({ path, scope, headers }, { service, largeResponses }) => {
      const wanted = negotiateReportFormat(path.date, headers.accept ?? headers.Accept);
      if (!wanted.ok) return fail(406, QueryErrorCode.NOT_ACCEPTABLE, wanted.message);
      const report = await service.dailyReport(wanted.date, scope.all ? undefined : [...scope.accounts].sort());
      if (report === undefined) return fail(404, QueryErrorCode.NOT_FOUND, `no report for ${wanted.date}`);
      // Above Lambda's 6 MB: stored (S3) and answered with 303 to a pre-signed URL.
      return fitResponse(
        reportResponse(report, wanted.format),
        `reports/daily/${wanted.date}.${wanted.format}`,
        largeResponses,
      );
    },
  }),
  route({
    operationId: 'listSettlements',
    method: 'GET',
    path: '/settlements',
    summary: 'Settlement instructions with their lifecycle state, ordered by settlement date',
    authorized: true,
    pathParams: undefined,
    query: S.SettlementsQuery,
    response: { name: 'SettlementPage', schema: S.SettlementPage, example: examples.settlementPageExample },
    errors: LISTING_ERRORS,
    handle: (input, { service }) =>
      listingPage(input, { status: input.query.status }, (listing) =>
        service.settlements({ ...listing, status: input.query.status }),
      ),
  }),
  route({
    operationId: 'listBreaks',
    method: 'GET',
    path: '/breaks',
    summary: 'Reconciliation breaks, ordered by the date they opened',
    authorized: true,
    pathParams: undefined,
    query: S.BreaksQuery,
    response: { name: 'BreakPage', schema: S.BreakPage, example: examples.breakPageExample },
    errors: LISTING_ERRORS,
    handle: (input, { service }) =>
      listingPage(input, { status: input.query.status }, (listing) =>
        service.breaks({ ...listing, status: input.query.status }),
      ),
  }),
  route({
    operationId: 'getOpenApi',
    method: 'GET',
    path: '/openapi.json',
    summary: 'This document',
    authorized: false,
    pathParams: undefined,
    query: S.NoQuery,
    response: { name: 'OpenApiDocument', schema: S.OpenApiDoc, example: { openapi: '3.1.0' } },
    errors: [400],
    handle: (_input, { document }) => Promise.resolve(ok(document())),
  }),
];
