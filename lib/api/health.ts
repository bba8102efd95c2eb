/**
 * GET /health: the verdict of `posttrade status` (lib/status) without its internals — no group names, offsets,
 * errors or counts, since the endpoint is unauthenticated. 200 with `healthy` or `degraded` (the API answers; a load
 * balancer should keep sending), 503 with `down` (the broker or the database does not answer).
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

import { collectStatus, type StatusDeps } from '../status/collect';
import { Verdict } from '../status/verdict';
import { jsonResponse, withErrorBoundary } from './http';

/** How long a monitor should wait before asking again after `down`. */
export const HEALTH_RETRY_AFTER_SECONDS = 30;

type HealthEvent = { readonly requestContext?: { readonly requestId?: string } | null };

/** Broker and database failures are the verdict; only a bug reaches the error boundary (500 with a correlation id). */
export function healthHandler(deps: StatusDeps): (event: HealthEvent) => Promise<APIGatewayProxyStructuredResultV2> {
  return withErrorBoundary('health', async () => {
    const report = await collectStatus(deps, { detail: false });
    const body = { status: report.verdict, checkedAt: report.checkedAt.toISOString() };
    const noStore = { 'cache-control': 'no-store' };
    return report.verdict === Verdict.DOWN
      ? jsonResponse(503, body, { ...noStore, 'retry-after': String(HEALTH_RETRY_AFTER_SECONDS) })
      : jsonResponse(200, body, noStore);
  });
}
