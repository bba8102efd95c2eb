/**
 * `settleTrades`: on `trades.booked`. Builds, replaces or cancels settlement instructions, nets them, and
 * publishes to `settlement.instructions` from the outbox after the batch's transaction commits.
 */
import middy from '@middy/core';

import { releaseAfterLocalInvoke } from '../lib/lambda/local-invoke';

import { getPool } from '../lib/db/pool';
import type { KafkaEvent } from '../lib/kafka/decode';
import { getPublisher } from '../lib/kafka/producer';
import { settleTradesHandler } from '../lib/settlement/handlers';
import type { SettlementSummary } from '../lib/settlement/service';

export const handler = middy<KafkaEvent, SettlementSummary>()
  .use(releaseAfterLocalInvoke())
  .handler(settleTradesHandler({ pool: getPool(), publisher: getPublisher() }));
