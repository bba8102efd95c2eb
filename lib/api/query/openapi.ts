/**
 * The OpenAPI 3.1 document of the platform's HTTP API, generated from the route table (lib/api/query/routes.ts)
 * and its zod schemas — the same objects the router validates with — plus the capture endpoint, whose body is the
 * Kafka wire schema it is checked against. OpenAPI 3.1 schemas are JSON Schema 2020-12, which is what
 * `z.toJSONSchema` emits.
 */
import { z } from 'zod';

import { TradeEventV1Schema } from '../../kafka/schemas/trade-event';
import { ROUTES, type ErrorStatus, type Route } from './routes';
import * as S from './schemas';

type DocumentedStatus = ErrorStatus | 413 | 415 | 500 | 503;

const ERROR_DESCRIPTIONS: Readonly<Record<DocumentedStatus, string>> = {
  400: 'Invalid or unknown parameters (an unknown query parameter is refused, never ignored); `fields` names each one',
  401: 'No valid bearer token',
  403: "An account outside the token's scope",
  404: 'Not found',
  406: 'None of the accepted media types can be produced',
  413: 'Body over the size limit',
  415: 'The body is not sent as application/json (or a +json type) in UTF-8',
  500: 'An unexpected error; `correlationId` names it in the logs, nothing else is disclosed',
  503: 'A service the API needs (database, broker) is unavailable; retry after the Retry-After seconds',
};

/** What every operation may answer whatever its route: the error boundary of lib/api/http.ts. */
const ALWAYS: readonly DocumentedStatus[] = [500, 503];

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A JSON Schema for a component or parameter, without the top-level keywords that only a standalone one needs. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _schema, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

function parameters(route: Route): unknown[] {
  const of = (where: 'path' | 'query', object: z.ZodObject | undefined) =>
    Object.entries(object?.shape ?? {}).map(([name, field]) => {
      const { description, ...schema } = jsonSchema(field as z.ZodType, 'input');
      return {
        name,
        in: where,
        required: where === 'path' || !(field as z.ZodType).safeParse(undefined).success,
        ...(typeof description === 'string' ? { description } : {}),
        schema,
      };
    });
  return [...of('path', route.pathParams), ...of('query', route.query)];
}

function errorResponses(statuses: readonly DocumentedStatus[]): Record<string, unknown> {
  return Object.fromEntries(
    statuses.map((status) => [
      String(status),
      { description: ERROR_DESCRIPTIONS[status], content: { 'application/json': { schema: ref('Error') } } },
    ]),
  );
}

function operation(route: Route): Record<string, unknown> {
  const content: Record<string, unknown> = {
    'application/json': { schema: ref(route.response.name), example: route.response.example },
  };
  for (const type of route.alternateContent ?? []) content[type] = { schema: { type: 'string' } };
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.authorized ? {} : { security: [] }),
    parameters: parameters(route),
    responses: {
      '200': { description: 'OK', content },
      ...(route.mayRedirect === true ? { '303': SEE_OTHER } : {}),
      ...errorResponses([...route.errors, ...ALWAYS]),
    },
  };
}

/** A response too large for Lambda (6 MB): stored, and the client sent to a short-lived pre-signed URL. */
const SEE_OTHER = {
  description:
    'The document is larger than a Lambda response may be: GET it from `Location`, a pre-signed URL valid until `expiresAt` (send no Authorization header there)',
  headers: { Location: { schema: { type: 'string', format: 'uri' } } },
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['location', 'expiresAt', 'contentType', 'bytes'],
        properties: {
          location: { type: 'string', format: 'uri' },
          expiresAt: { type: 'string', format: 'date-time' },
          contentType: { type: 'string' },
          bytes: { type: 'integer' },
        },
      },
    },
  },
};

/** POST /trades is served by the capture function (lib/pipeline/handlers.ts captureHandler), not the router. */
function captureOperation(): Record<string, unknown> {
  return {
    operationId: 'captureTrades',
    summary: 'Capture one trade event, an array of them, or { trades: [...] }; all or nothing',
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: {
            oneOf: [
              ref('TradeEvent'),
              { type: 'array', items: ref('TradeEvent') },
              {
                type: 'object',
                properties: { trades: { type: 'array', items: ref('TradeEvent') } },
                required: ['trades'],
              },
            ],
          },
        },
      },
    },
    responses: {
      '202': {
        description: 'Published to trades.captured',
        content: { 'application/json': { schema: ref('Captured') } },
      },
      ...errorResponses([400, 401, 403, 413, 415, ...ALWAYS]),
    },
  };
}

/** GET /health is served by the health function (lib/api/health.ts), not the router; it needs no token. */
function healthOperation(): Record<string, unknown> {
  const body = { 'application/json': { schema: ref('Health') } };
  return {
    operationId: 'health',
    summary: "The pipeline's verdict, as `posttrade status` gives it, without its internals",
    security: [],
    responses: {
      '200': {
        description: 'healthy, or degraded (a stage behind, stale or failing; dead letters piling up)',
        content: body,
      },
      '503': { description: 'down: the broker or the database does not answer', content: body },
      ...errorResponses([500]),
    },
  };
}

const Health = z.object({
  status: z.enum(['healthy', 'degraded', 'down']),
  checkedAt: z.iso.datetime(),
});

const Captured = z.object({
  accepted: z.number().int(),
  /** The request's correlation id: its X-Correlation-Id when well formed, else the request id (README Observability). */
  correlationId: z.string(),
  trades: z.array(z.object({ execId: z.string(), tradeId: z.string() })),
});

/** The document served at /openapi.json. */
export function buildOpenApiDocument(): Record<string, unknown> {
  const components: Record<string, unknown> = {
    Error: jsonSchema(S.ErrorBody, 'output'),
    TradeEvent: jsonSchema(TradeEventV1Schema, 'input'),
    Captured: jsonSchema(Captured, 'output'),
    Health: jsonSchema(Health, 'output'),
  };
  for (const route of ROUTES) components[route.response.name] = jsonSchema(route.response.schema, 'output');

  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(route) };
  }
  paths['/trades'] = { ...paths['/trades'], post: captureOperation() };
  paths['/health'] = { get: healthOperation() };

  return {
    openapi: '3.1.0',
    info: {
      title: 'posttrade',
      version: '1',
      description: 'Post-trade processing: capture trades; query trades, positions, P&L, settlements and breaks.',
    },
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: components },
    paths,
  };
}
