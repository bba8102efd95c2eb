/**
 * The query API's one Lambda: finds the route of an HTTP API (payload 2.0) event, checks the authorizer's scope
 * and validates path and query parameters with the route's zod schemas (400 listing every field), then runs the
 * route's handler. Handlers therefore only ever see typed, valid input.
 *
 * Unknown query parameters are refused (400 naming each, and what the route accepts), never ignored: a caller who
 * misspells a filter (`/breaks?date=…` where no date filter exists, `acount=`) would otherwise get an unfiltered
 * answer that looks like a filtered one. Anything a handler throws becomes a 500 (503 when retriable) with a
 * correlation id and no internals (lib/api/http.ts withErrorBoundary).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

import { scopeOfRequest, type RequestAuthorizer } from '../auth';
import { withErrorBoundary, type ErrorLog } from '../http';
import { QueryErrorCode, fail, fieldErrors, type FieldError } from './http';
import { buildOpenApiDocument } from './openapi';
import { ROUTES, type Route } from './routes';
import type { QueryService } from './service';
import { INLINE_RESPONSES, type LargeResponses } from '../large-responses';

/** The parts of an HTTP API event the router reads; the authorizer context is absent on public routes. */
export type QueryEvent = Pick<APIGatewayProxyEventV2, 'routeKey' | 'rawPath'> & {
  readonly pathParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly requestContext: {
    readonly requestId?: string;
    readonly http: { readonly method: string };
    readonly authorizer?: RequestAuthorizer | null;
  };
};

function findRoute(event: QueryEvent): Route | undefined {
  const byKey = ROUTES.find((r) => `${r.method} ${r.path}` === event.routeKey);
  if (byKey !== undefined) return byKey;
  // A `$default` route (or a proxy in front) has no route key of ours: match the path against the templates.
  return ROUTES.find(
    (r) =>
      r.method === event.requestContext.http.method &&
      new RegExp(`^${r.path.replace(/\./g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`).test(event.rawPath),
  );
}

function pathParameters(
  route: Route,
  event: QueryEvent,
): { ok: true; value: Record<string, string | undefined> } | { ok: false; errors: FieldError[] } {
  if (event.pathParameters) return { ok: true, value: { ...event.pathParameters } };
  const names = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '');
  const pattern = new RegExp(`^${route.path.replace(/\{[^}]+\}/g, '([^/]+)')}$`);
  const values = pattern.exec(event.rawPath)?.slice(1) ?? [];
  const errors: FieldError[] = [];
  const decoded = names.map((name, i) => {
    const value = values[i];
    if (value === undefined) return [name, undefined] as const;
    try {
      return [name, decodeURIComponent(value)] as const;
    } catch {
      errors.push({ path: name, message: 'not valid percent-encoded UTF-8' });
      return [name, undefined] as const;
    }
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: Object.fromEntries(decoded) };
}

/** A 400 entry for each query parameter the route does not define. */
function unknownParameters(route: Route, query: Readonly<Record<string, unknown>>): FieldError[] {
  const known = Object.keys(route.query.shape);
  const accepted = known.length === 0 ? 'this route takes no query parameters' : `accepted: ${known.join(', ')}`;
  return Object.keys(query)
    .filter((name) => !known.includes(name))
    .map((name) => ({ path: name, message: `unknown parameter; ${accepted}` }));
}

export interface QueryApiDeps {
  readonly service: QueryService;
  /** Where whole reports too large to return inline go (default: always inline, as locally). */
  readonly largeResponses?: LargeResponses;
  /** The JWT claim naming the caller's accounts (behind a JWT authorizer). Default `custom:accounts`. */
  readonly accountsClaim?: string;
  /** Where the error boundary logs an unexpected error (default: the container's Powertools logger). */
  readonly log?: () => ErrorLog;
}

export function queryApiHandler(deps: QueryApiDeps) {
  let document: unknown;
  const routeDeps = {
    service: deps.service,
    document: () => (document ??= buildOpenApiDocument()),
    largeResponses: deps.largeResponses ?? INLINE_RESPONSES,
  };
  const accountsClaim = deps.accountsClaim ?? 'custom:accounts';
  const handle = async (event: QueryEvent): Promise<APIGatewayProxyStructuredResultV2> => {
    const route = findRoute(event);
    if (route === undefined) return fail(404, QueryErrorCode.NOT_FOUND, `no route ${event.routeKey}`);
    const scope = scopeOfRequest(event.requestContext.authorizer, accountsClaim);
    // The authorizer already refused unknown tokens; this guards a route deployed without it.
    if (route.authorized && scope === undefined) {
      return fail(401, QueryErrorCode.UNAUTHORIZED, 'a valid bearer token is required');
    }
    const rawPath = pathParameters(route, event);
    const path = rawPath.ok ? route.pathParams?.safeParse(rawPath.value) : undefined;
    const rawQuery = event.queryStringParameters ?? {};
    const query = route.query.safeParse(rawQuery);
    const errors = [
      ...(rawPath.ok ? [] : rawPath.errors),
      ...(path?.success === false ? fieldErrors(path.error) : []),
      ...unknownParameters(route, rawQuery),
      ...(query.success ? [] : fieldErrors(query.error)),
    ];
    if (errors.length > 0 || !query.success) {
      return fail(400, QueryErrorCode.INVALID_QUERY, 'the request has invalid parameters', errors);
    }
    const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    return route.handle(
      { path: path?.data, query: query.data, scope: scope ?? { all: false, accounts: new Set() }, headers },
      routeDeps,
    );
  };
  return withErrorBoundary('queryApi', handle, deps.log);
}
