/**
 * `persistTrades`: on `trades.validated`. Books the batch in one transaction, then publishes each newly booked
 * version to `trades.booked`; a failed publish fails the batch and the retry publishes what was missed.
 */
import middy from '@middy/core';

import { releaseAfterLocalInvoke } from '../lib/lambda/local-invoke';

import { getPool } from '../lib/db/pool';
import { getPublisher } from '../lib/kafka/producer';
import type { KafkaEvent } from '../lib/kafka/decode';
import type { PersistSummary } from '../lib/pipeline/persist';
import { persistHandler } from '../lib/pipeline/handlers';

export const handler = middy<KafkaEvent, PersistSummary>()
  .use(releaseAfterLocalInvoke())
  .handler(persistHandler({ pool: getPool(), publisher: getPublisher() }));
