/**
 * `reconcile`: on `custody.statements`. Reconciles each statement against our settled books, stores and ages the
 * breaks, resolves those a later statement agrees with, and publishes to `recon.breaks`.
 */
import middy from '@middy/core';

import { releaseAfterLocalInvoke } from '../lib/lambda/local-invoke';

import { getPool } from '../lib/db/pool';
import type { KafkaEvent } from '../lib/kafka/decode';
import { getPublisher } from '../lib/kafka/producer';
import { reconcileHandler } from '../lib/recon/handlers';
import type { ReconSummary } from '../lib/recon/service';

export const handler = middy<KafkaEvent, ReconSummary>()
  .use(releaseAfterLocalInvoke())
  .handler(reconcileHandler({ pool: getPool(), publisher: getPublisher() }));
