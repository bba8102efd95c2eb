/**
 * `reconcile`: on `custody.statements`. Reconciles each statement against our settled books, stores and ages the
 * breaks, resolves those a later statement agrees with, and publishes to `recon.breaks`.
 */
import { kafkaFunction } from '../lib/lambda/kafka-function';

import { getPool } from '../lib/db/pool';
import { Stage } from '../lib/kafka/dead-letter';
import { getPublisher } from '../lib/kafka/producer';
import { reconcileHandler } from '../lib/recon/handlers';

export const handler = kafkaFunction(Stage.RECONCILE, reconcileHandler({ pool: getPool(), publisher: getPublisher() }));
