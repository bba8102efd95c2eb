/**
 * Responses beyond Lambda's 6 MB: the daily report route stores the document and answers 303 to a URL, through the
 * same code path locally (a directory) as in the cloud (S3, pre-signed); and JWT claims as the caller's scope.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { S3Client } from '@aws-sdk/client-s3';

import { scopeOfRequest } from '../../../lib/api/auth';
import { dailyReportExample } from '../../../lib/api/query/examples';
import { queryApiHandler, type QueryEvent } from '../../../lib/api/query/router';
import type { QueryService } from '../../../lib/api/query/service';
import {
  DirectoryResponseStore,
  encodedSize,
  fitResponse,
  S3ResponseStore,
  type LargeResponses,
} from '../../../lib/api/large-responses';

function reportRequest(authorizer: QueryEvent['requestContext']['authorizer']): QueryEvent {
  const event = JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', '..', 'events', 'http-get-report.json'), 'utf8'),
  ) as QueryEvent;
  return { ...event, headers: { accept: 'text/csv' }, requestContext: { ...event.requestContext, authorizer } };
}

const unused = () => Promise.reject(new Error('not used by this test'));
const service: QueryService = {
  trade: unused,
  trades: unused,
  positions: unused,
  dailyPnl: unused,
  dailyReport: (date) => Promise.resolve(date === '2024-05-28' ? dailyReportExample : undefined),
  settlements: unused,
  breaks: unused,
  risk: unused,
};

describe('large responses', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'large-responses-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const limited = (inlineMaxBytes: number): LargeResponses => ({
    inlineMaxBytes,
    urlTtlSeconds: 900,
    store: new DirectoryResponseStore(dir, () => new Date('2024-05-28T21:00:00Z')),
  });

  it('returns a report inline while its encoded response fits', async () => {
    const handle = queryApiHandler({ service, largeResponses: limited(6_000_000) });

    const response = await handle(reportRequest({ lambda: { scope: '*' } }));

    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toMatch(/^text\/csv/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('stores a report larger than the limit and answers 303 to where the same bytes can be read', async () => {
    const inline = await queryApiHandler({ service })(reportRequest({ lambda: { scope: '*' } }));
    const handle = queryApiHandler({ service, largeResponses: limited(encodedSize(inline) - 1) });

    const response = await handle(reportRequest({ lambda: { scope: '*' } }));

    expect(response.statusCode).toBe(303);
    const answer = JSON.parse(response.body ?? '') as Record<string, unknown>;
    expect(answer).toEqual({
      location: response.headers?.location,
      expiresAt: '2024-05-28T21:15:00.000Z',
      contentType: 'text/csv; charset=utf-8',
      bytes: Buffer.byteLength(inline.body ?? ''),
    });
    const file = fileURLToPath(String(answer.location));
    expect(file.startsWith(dir)).toBe(true);
    expect(file).toMatch(/reports\/daily\/[0-9a-f-]{36}\/2024-05-28\.csv$/);
    expect(fs.readFileSync(file, 'utf8')).toBe(inline.body);
  });

  it('measures what Lambda measures: the JSON-encoded response, escapes included', async () => {
    const quotes = '"'.repeat(1000);
    const response = { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: quotes };

    const fitted = await fitResponse(response, 'x/quotes.txt', limited(1500));

    expect(encodedSize(response)).toBeGreaterThan(2000);
    expect(fitted.statusCode).toBe(303);
  });

  it('pre-signs an S3 GET of the stored object for the configured time', async () => {
    const sent: unknown[] = [];
    const client = new S3Client({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'example-secret' },
    });
    // Only the PutObject call leaves the process; answer it here instead of S3.
    client.send = ((command: { input: unknown }) => {
      sent.push(command.input);
      return Promise.resolve({});
    }) as typeof client.send;
    const store = new S3ResponseStore(client, 'posttrade-prod-reports', () => new Date('2024-05-28T21:00:00Z'));

    const stored = await store.put('reports/daily/u/2024-05-28.csv', 'a,b\n', 'text/csv', 600);

    expect(sent).toEqual([
      {
        Bucket: 'posttrade-prod-reports',
        Key: 'reports/daily/u/2024-05-28.csv',
        Body: 'a,b\n',
        ContentType: 'text/csv',
      },
    ]);
    const url = new URL(stored.url);
    expect(url.host).toBe('posttrade-prod-reports.s3.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/reports/daily/u/2024-05-28.csv');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('600');
    expect(stored.expiresAt).toBe('2024-05-28T21:10:00.000Z');
  });
});

describe('scopeOfRequest', () => {
  const claim = 'custom:accounts';

  it.each([
    [{ lambda: { scope: '*' } }, { all: true }],
    [{ lambda: { scope: 'ACC-001|ACC-002' } }, { all: false, accounts: new Set(['ACC-001', 'ACC-002']) }],
    [{ jwt: { claims: { [claim]: '*' } } }, { all: true }],
    [{ jwt: { claims: { [claim]: 'ACC-001,ACC-002' } } }, { all: false, accounts: new Set(['ACC-001', 'ACC-002']) }],
    [{ jwt: { claims: { [claim]: '[ACC-001 ACC-003]' } } }, { all: false, accounts: new Set(['ACC-001', 'ACC-003']) }],
    [{ jwt: { claims: { sub: 'abc' } } }, { all: false, accounts: new Set() }],
  ])('%j is %j', (authorizer, scope) => {
    expect(scopeOfRequest(authorizer, claim)).toEqual(scope);
  });

  it('has no scope without an authorizer, so the router answers 401', async () => {
    expect(scopeOfRequest(null, claim)).toBeUndefined();

    const response = await queryApiHandler({ service })(reportRequest(null));

    expect(response.statusCode).toBe(401);
  });

  it('reads a JWT-authorized request with the claim the deployment names', async () => {
    const handle = queryApiHandler({ service, accountsClaim: 'posttrade_accounts' });

    const response = await handle(reportRequest({ jwt: { claims: { posttrade_accounts: '*' } } }));

    expect(response.statusCode).toBe(200);
  });
});
