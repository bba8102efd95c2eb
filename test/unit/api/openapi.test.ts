/**
 * The OpenAPI document matches what is deployed and what the handlers return: every httpApi event of
 * serverless.yml is an operation of the document and every operation is deployed, with the authorizer exactly
 * where the document asks for a token; and each example response parses with its route's response schema.
 */
import path from 'node:path';

import { buildOpenApiDocument } from '../../../lib/api/query/openapi';
import { queryApiHandler } from '../../../lib/api/query/router';
import { ROUTES } from '../../../lib/api/query/routes';
import type { QueryService } from '../../../lib/api/query/service';
import { readServerlessYml } from '../../../localstack/topics';

interface HttpApiEvent {
  readonly method: string;
  readonly path: string;
  readonly authorized: boolean;
}

/** `httpApi` events of every function, in either form osls accepts (`'GET /x'` or `{ method, path }`). */
function httpApiEvents(config: unknown): HttpApiEvent[] {
  const functions = (config as { functions?: Record<string, { events?: unknown[] }> }).functions ?? {};
  return Object.values(functions).flatMap((fn) =>
    (fn.events ?? []).flatMap((event): HttpApiEvent[] => {
      const http = (event as { httpApi?: unknown }).httpApi;
      if (typeof http === 'string') {
        const [method = '', route = ''] = http.split(' ');
        return [{ method: method.toUpperCase(), path: route, authorized: false }];
      }
      if (typeof http !== 'object' || http === null) return [];
      const { method, path: route, authorizer } = http as { method: string; path: string; authorizer?: unknown };
      return [{ method: method.toUpperCase(), path: route, authorized: authorizer !== undefined }];
    }),
  );
}

function documentOperations(document: Record<string, unknown>): HttpApiEvent[] {
  const paths = document.paths as Record<string, Record<string, { security?: unknown[] }>>;
  return Object.entries(paths).flatMap(([route, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path: route,
      // An operation with `security: []` opts out of the document-wide bearer requirement.
      authorized: !(Array.isArray(operation.security) && operation.security.length === 0),
    })),
  );
}

const byKey = (a: HttpApiEvent, b: HttpApiEvent) => `${a.method} ${a.path}`.localeCompare(`${b.method} ${b.path}`);

describe('OpenAPI document', () => {
  it("has exactly serverless.yml's httpApi routes, with the authorizer where it requires a token", async () => {
    const config = await readServerlessYml(path.resolve(__dirname, '..', '..', '..', 'serverless.yml'));

    const deployed = httpApiEvents(config).sort(byKey);
    const documented = documentOperations(buildOpenApiDocument()).sort(byKey);

    expect(documented).toEqual(deployed);
    expect(deployed.length).toBe(ROUTES.length + 2); // the routes of the query API, POST /trades and GET /health
  });

  it('is OpenAPI 3.1 with a bearer scheme and one operation id per route', () => {
    const document = buildOpenApiDocument();

    const operations = Object.values(document.paths as Record<string, Record<string, { operationId: string }>>).flatMap(
      (ops) => Object.values(ops).map((op) => op.operationId),
    );

    expect(document.openapi).toBe('3.1.0');
    expect(document.components).toMatchObject({ securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } });
    expect(new Set(operations).size).toBe(operations.length);
  });

  it.each(ROUTES.map((route) => [route.operationId, route] as const))(
    "%s: the example response parses with the route's response schema and is the document's example",
    (_, route) => {
      const document = buildOpenApiDocument() as {
        paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, unknown> }> }>>;
      };

      const parsed = route.response.schema.safeParse(route.response.example);
      const content = document.paths[route.path]?.[route.method.toLowerCase()]?.responses['200']?.content;

      expect(parsed.error?.issues ?? []).toEqual([]);
      expect(content?.['application/json']).toEqual({
        schema: { $ref: `#/components/schemas/${route.response.name}` },
        example: route.response.example,
      });
    },
  );

  it('documents each query parameter with its required flag from the schema', () => {
    const document = buildOpenApiDocument() as {
      paths: Record<string, { get: { parameters: { name: string; in: string; required: boolean }[] } }>;
    };

    expect(document.paths['/pnl/daily']?.get.parameters.map((p) => [p.name, p.in, p.required])).toEqual([
      ['date', 'query', true],
      ['account', 'query', false],
      ['limit', 'query', false],
      ['cursor', 'query', false],
    ]);
    expect(document.paths['/trades/{id}']?.get.parameters.map((p) => [p.name, p.in, p.required])).toEqual([
      ['id', 'path', true],
    ]);
  });

  it('documents 500 and 503 (the error boundary) on every operation, and 415 on the capture endpoint', () => {
    const document = buildOpenApiDocument() as {
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
    };
    const operations = Object.values(document.paths).flatMap((ops) => Object.values(ops));

    const missing = operations.flatMap((op) =>
      ['500', '503']
        .filter((status) => op.responses[status] === undefined)
        .map((status) => `${op.operationId} ${status}`),
    );

    expect(missing).toEqual([]);
    expect(document.paths['/trades']?.post?.responses['415']).toBeDefined();
  });

  it.each(ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s: the router refuses an unknown query parameter with 400, and the document says so',
    async (_, route) => {
      const refuse = () => Promise.reject(new Error('the router must answer before the service is asked'));
      const service: QueryService = {
        trade: refuse,
        trades: refuse,
        positions: refuse,
        dailyPnl: refuse,
        dailyReport: refuse,
        settlements: refuse,
        breaks: refuse,
        risk: refuse,
      };
      const pathParameters = { id: 'T-1', date: '2024-05-28' };
      const rawPath = route.path.replace('{id}', pathParameters.id).replace('{date}', pathParameters.date);
      const document = buildOpenApiDocument() as {
        paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      };

      const response = await queryApiHandler({ service })({
        routeKey: `${route.method} ${route.path}`,
        rawPath,
        pathParameters,
        queryStringParameters: { date: '2024-05-28', unknownFilter: 'x' },
        headers: {},
        requestContext: { http: { method: route.method }, authorizer: { lambda: { scope: '*' } } },
      });

      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('unknownFilter');
      expect(document.paths[route.path]?.[route.method.toLowerCase()]?.responses['400']).toBeDefined();
    },
  );
});
