/**
 * `validateTrades`: on `trades.captured`. A thrown error (database or broker unavailable) fails the batch and Lambda
 * redelivers it whole; the capture ledger makes that redelivery a no-op for what was already done.
 */
import middy from '@middy/core';

import { releaseAfterLocalInvoke } from '../lib/lambda/local-invoke';

import { getPool } from '../lib/db/pool';
import { getPublisher } from '../lib/kafka/producer';
import type { KafkaEvent } from '../lib/kafka/decode';
import type { ValidationSummary } from '../lib/pipeline/validate';
import { validateHandler } from '../lib/pipeline/handlers';

export const handler = middy<KafkaEvent, ValidationSummary>()
  .use(releaseAfterLocalInvoke())
  .handler(validateHandler({ pool: getPool(), publisher: getPublisher() }));
