/** The query API router over an in-memory service: auth (401/403), parameter validation (400), cursors, reports. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { parseApiTokens } from '../../../lib/api/auth';
import { negotiateReportFormat } from '../../../lib/api/query/report';
import { queryApiHandler, type QueryEvent } from '../../../lib/api/query/router';
import type { Listing, QueryService } from '../../../lib/api/query/service';
import { restrictReport } from '../../../lib/api/query/service';
import { authorizerHandler } from '../../../lib/pipeline/handlers';
import type { DailyReportDoc } from '../../../lib/pnl/document';
import {
  accountRiskExample,
  dailyReportExample,
  tradeDetailExample,
  tradePageExample,
} from '../../../lib/api/query/examples';

function fixture(name: string): QueryEvent {
  return JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'events', name), 'utf8')) as QueryEvent;
}

/** GET /trades as the fixture has it, with other query parameters and scope. */
function listTrades(query: Record<string, string>, scope: string | null = 'ACC-001|ACC-002'): QueryEvent {
  const event = fixture('http-get-trades.json');
  return {
    ...event,
    queryStringParameters: query,
    requestContext: { ...event.requestContext, authorizer: scope === null ? null : { lambda: { scope } } },
  };
}

function present<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('fixture missing');
  return value;
}
const tradeRow = present(tradePageExample.items[0]);

/** Seven trades T-1..T-7 of ACC-001; listings page through them by (date, id) like the SQL does. */
function fakeService(): QueryService & { listings: Listing[] } {
  const rows = Array.from({ length: 7 }, (_, i) => ({ ...tradeRow, tradeId: `T-${i + 1}` }));
  const listings: Listing[] = [];
  const unused = () => Promise.reject(new Error('not used by this test'));
  return {
    listings,
    trade: (id) =>
      Promise.resolve(
        id === 'T-1001'
          ? { detail: tradeDetailExample, accounts: ['ACC-001'] }
          : id === 'T-OTHER'
            ? { detail: tradeDetailExample, accounts: ['ACC-009'] }
            : undefined,
      ),
    trades: (listing) => {
      listings.push(listing);
      const start = listing.after === undefined ? 0 : rows.findIndex((r) => r.tradeId === listing.after?.[1]) + 1;
      const items = rows.slice(start, start + listing.limit);
      const last = items[items.length - 1];
      const more = start + listing.limit < rows.length;
      return Promise.resolve({ items, nextKey: more && last ? [last.tradeDate, last.tradeId] : undefined });
    },
    positions: unused,
    dailyPnl: unused,
    dailyReport: (date) => Promise.resolve(date === '2024-05-28' ? dailyReportExample : undefined),
    settlements: unused,
    breaks: unused,
    risk: (account) => Promise.resolve(account === 'ACC-001' ? accountRiskExample : undefined),
  };
}

function body(response: { body?: string }): Record<string, unknown> {
  return JSON.parse(response.body ?? '') as Record<string, unknown>;
}

describe('query API auth', () => {
  it('answers 401 when the route is reached without the authorizer scope', async () => {
    const handle = queryApiHandler({ service: fakeService() });

    const response = await handle(listTrades({}, null));

    expect(response.statusCode).toBe(401);
    expect(body(response)).toEqual({ error: { code: 'UNAUTHORIZED', message: 'a valid bearer token is required' } });
  });

  it('the authorizer denies an unknown token, so API Gateway answers 401 before the router runs', async () => {
    const tokens = parseApiTokens('desk-token=ACC-001|ACC-002');
    if (!tokens.ok) throw new Error('token table');

    const denied = await authorizerHandler(tokens.value)({ headers: { authorization: 'Bearer wrong' } });
    const allowed = await authorizerHandler(tokens.value)({ headers: fixture('http-get-trades.json').headers ?? {} });

    expect(denied.isAuthorized).toBe(false);
    expect(allowed).toEqual({ isAuthorized: true, context: { scope: 'ACC-001|ACC-002' } });
  });

  it('answers 403 for an account outside the token scope', async () => {
    const service = fakeService();

    const response = await queryApiHandler({ service })(listTrades({ account: 'ACC-009' }));

    expect(response.statusCode).toBe(403);
    expect(service.listings).toEqual([]);
  });

  it('limits a listing without an account to the accounts of a scoped token', async () => {
    const service = fakeService();

    await queryApiHandler({ service })(listTrades({ limit: '3' }));

    expect(service.listings[0]?.accounts).toEqual(['ACC-001', 'ACC-002']);
  });

  it('answers 403 for a trade of another account and 404 for an unknown one', async () => {
    const handle = queryApiHandler({ service: fakeService() });
    const get = (id: string) => ({
      ...listTrades({}),
      routeKey: 'GET /trades/{id}',
      rawPath: `/trades/${id}`,
      pathParameters: { id },
    });

    const [mine, other, unknown] = await Promise.all([
      handle(get('T-1001')),
      handle(get('T-OTHER')),
      handle(get('T-NONE')),
    ]);

    expect([mine.statusCode, other.statusCode, unknown.statusCode]).toEqual([200, 403, 404]);
  });
});

describe('query API parameters', () => {
  it('answers 400 naming every invalid parameter', async () => {
    const response = await queryApiHandler({ service: fakeService() })(
      listTrades({ date: '2024-02-30', status: 'OPEN', limit: '501' }),
    );

    expect(response.statusCode).toBe(400);
    const fields = (body(response).error as { fields: { path: string }[] }).fields.map((f) => f.path).sort();
    expect(fields).toEqual(['date', 'limit', 'status']);
  });

  it.each([['0'], ['abc'], ['2.5']])('refuses limit=%s', async (limit) => {
    const response = await queryApiHandler({ service: fakeService() })(listTrades({ limit }));

    expect(response.statusCode).toBe(400);
  });

  it('answers 400 for an unknown query parameter instead of ignoring it, listing what the route accepts', async () => {
    const service = fakeService();

    const response = await queryApiHandler({ service })(listTrades({ acount: 'ACC-001', date: '2024-05-28' }));

    expect(response.statusCode).toBe(400);
    expect((body(response).error as { fields: unknown[] }).fields).toEqual([
      { path: 'acount', message: 'unknown parameter; accepted: account, date, status, limit, cursor' },
    ]);
    expect(service.listings).toHaveLength(0);
  });

  it('answers 400 for GET /breaks?date=2024-02-30: there is no date filter to apply', async () => {
    const event = listTrades({ date: '2024-02-30' });
    const breaks = { ...event, routeKey: 'GET /breaks', rawPath: '/breaks' };

    const response = await queryApiHandler({ service: fakeService() })(breaks);

    expect(response.statusCode).toBe(400);
    expect((body(response).error as { fields: { path: string }[] }).fields.map((f) => f.path)).toEqual(['date']);
  });

  it("GET /risk: the account's stored risk, 400 naming the missing account, 403 outside the scope, 404 unknown", async () => {
    const handle = queryApiHandler({ service: fakeService() });
    const risk = (query: Record<string, string>, scope = 'ACC-001|ACC-002') => ({
      ...listTrades(query, scope),
      routeKey: 'GET /risk',
      rawPath: '/risk',
    });

    const [mine, missing, other, unknown] = await Promise.all([
      handle(risk({ account: 'ACC-001' })),
      handle(risk({})),
      handle(risk({ account: 'ACC-009' })),
      handle(risk({ account: 'ACC-002' })),
    ]);

    expect([mine.statusCode, missing.statusCode, other.statusCode, unknown.statusCode]).toEqual([200, 400, 403, 404]);
    expect(body(mine)).toEqual(accountRiskExample);
    expect((body(missing).error as { fields: { path: string }[] }).fields.map((f) => f.path)).toEqual(['account']);
  });

  it.each([['2024-02-30'], ['2024-02-30.csv'], ['0000-01-01'], ['2024-13-01.html']])(
    'answers 400 for GET /reports/daily/%s before any query runs',
    async (date) => {
      const event = fixture('http-get-report.json');
      const service = { ...fakeService(), dailyReport: () => Promise.reject(new Error('must not be asked')) };

      const response = await queryApiHandler({ service })({ ...event, pathParameters: { date } });

      expect(response.statusCode).toBe(400);
      expect((body(response).error as { fields: { path: string; message: string }[] }).fields).toEqual([
        { path: 'date', message: 'not a calendar date' },
      ]);
    },
  );

  it.each([
    ['a NUL', 'T-1\u0000'],
    ['an unpaired surrogate', 'T-\udc00'],
  ])('answers 400 for a trade id with %s, which PostgreSQL could not compare', async (_, id) => {
    const event = fixture('http-get-trades.json');
    const detail = { ...event, routeKey: 'GET /trades/{id}', rawPath: '/trades/x', pathParameters: { id } };

    const response = await queryApiHandler({ service: fakeService() })(detail);

    expect(response.statusCode).toBe(400);
  });

  it('answers 400 for a path that is not percent-encoded UTF-8', async () => {
    const event = fixture('http-get-trades.json');
    const detail = {
      ...event,
      routeKey: '$default',
      rawPath: '/trades/T-%E0%A4%A',
      pathParameters: null,
      queryStringParameters: null,
    };

    const response = await queryApiHandler({ service: fakeService() })(detail);

    expect(response.statusCode).toBe(400);
    expect(body(response).error).toMatchObject({
      fields: [{ path: 'id', message: 'not valid percent-encoded UTF-8' }],
    });
  });

  it('answers 400 for a forged cursor that carries a NUL into the key', async () => {
    const forged = Buffer.from(JSON.stringify({ f: 'x', k: ['2024-05-28', 'T-\u0000'] })).toString('base64url');

    const response = await queryApiHandler({ service: fakeService() })(listTrades({ cursor: forged }));

    expect(response.statusCode).toBe(400);
  });
});

describe('query API unexpected errors', () => {
  it('answers 500 with a correlation id and no internals when the service throws, and logs it under the id', async () => {
    const entries: Record<string, unknown>[] = [];
    const log = () => ({ error: (_message: string, attributes: Record<string, unknown>) => entries.push(attributes) });
    const failure = new Error('date/time field value out of range: "2024-02-30"');
    const service = { ...fakeService(), dailyReport: () => Promise.reject(failure) };

    const response = await queryApiHandler({ service, log })(fixture('http-get-report.json'));

    expect(response.statusCode).toBe(500);
    expect(response.headers?.['x-correlation-id']).toBe('req-2');
    expect(body(response)).toEqual({
      error: {
        code: 'INTERNAL_ERROR',
        message: 'an unexpected error occurred (correlation id req-2)',
        correlationId: 'req-2',
      },
    });
    expect(entries).toEqual([
      expect.objectContaining({ correlationId: 'req-2', error: expect.objectContaining({ message: failure.message }) }),
    ]);
  });
});

describe('query API cursors', () => {
  it('visits every row exactly once across pages', async () => {
    const handle = queryApiHandler({ service: fakeService() });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;

    do {
      const response = await handle(listTrades({ limit: '3', ...(cursor === null ? {} : { cursor }) }));
      const page = body(response) as { items: { tradeId: string }[]; nextCursor: string | null };
      seen.push(...page.items.map((item) => item.tradeId));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 10);

    expect(pages).toBe(3);
    expect(seen).toEqual(['T-1', 'T-2', 'T-3', 'T-4', 'T-5', 'T-6', 'T-7']);
  });

  it('refuses a cursor reused with other filters, and one it did not issue', async () => {
    const handle = queryApiHandler({ service: fakeService() });
    const first = body(await handle(listTrades({ limit: '3' }))) as { nextCursor: string };

    const otherFilters = await handle(listTrades({ limit: '3', status: 'LIVE', cursor: first.nextCursor }));
    const otherScope = await handle(listTrades({ limit: '3', cursor: first.nextCursor }, 'ACC-001'));
    const forged = await handle(listTrades({ cursor: 'bm90LWEtY3Vyc29y' }));

    expect([otherFilters.statusCode, otherScope.statusCode, forged.statusCode]).toEqual([400, 400, 400]);
  });
});

describe('daily report content negotiation', () => {
  it.each([
    ['2024-05-28.csv', 'text/html', 'csv'],
    ['2024-05-28.html', undefined, 'html'],
    ['2024-05-28', undefined, 'json'],
    ['2024-05-28', 'text/csv', 'csv'],
    ['2024-05-28', 'text/html,application/xhtml+xml,*/*;q=0.8', 'html'],
    ['2024-05-28', 'application/json;q=0.5, text/csv', 'csv'],
    ['2024-05-28', 'text/*', 'csv'],
    ['2024-05-28', '*/*', 'json'],
  ])('%s with Accept %s is %s', (date, accept, format) => {
    expect(negotiateReportFormat(date, accept)).toEqual({ ok: true, date: '2024-05-28', format });
  });

  it('answers 406 when no acceptable type can be written', async () => {
    const event = fixture('http-get-report.json');

    const response = await queryApiHandler({ service: fakeService() })({
      ...event,
      headers: { accept: 'application/xml' },
    });

    expect(response.statusCode).toBe(406);
  });

  it('serves the fixture request as HTML with Vary: Accept', async () => {
    const response = await queryApiHandler({ service: fakeService() })(fixture('http-get-report.json'));

    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual({ 'content-type': 'text/html; charset=utf-8', vary: 'Accept' });
    expect(response.body).toContain('<html');
  });
});

describe('restrictReport', () => {
  it("keeps the scope's accounts and re-adds overall totals from them only, per base currency", () => {
    const totals = (accountId: string, baseCurrency: string, total: string) => ({
      accountId,
      baseCurrency,
      lineCount: 1,
      realizedToday: total,
      unrealizedChangeToday: '0.00',
      feesToday: '0.00',
      totalToday: total,
      priceEffectToday: '0.00',
      fxEffectToday: '0.00',
      realizedSinceInception: total,
      unrealizedAtPreviousClose: '0.00',
      unrealizedAtClose: '0.00',
    });
    const report: DailyReportDoc = {
      ...dailyReportExample,
      accounts: [
        totals('A', 'USD', '10.10'),
        totals('B', 'USD', '5.05'),
        totals('C', 'USD', '1.00'),
        totals('D', 'EUR', '2.50'),
      ],
    };

    const restricted = restrictReport(report, ['A', 'B', 'D']);

    expect(restricted.overall.map((t) => [t.baseCurrency, t.lineCount, t.totalToday])).toEqual([
      ['EUR', 1, '2.50'],
      ['USD', 2, '15.15'],
    ]);
    expect(restricted.history).toEqual([]);
    expect(restricted.lines).toEqual([]);
  });
});
