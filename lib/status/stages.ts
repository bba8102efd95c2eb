/**
 * The Kafka-triggered stages as `posttrade status` watches them: the topic each reads and the consumer group its
 * event source mapping commits as (serverless.yml `consumerGroupId: posttrade-<stage>-<function in kebab case>`;
 * test/unit/observability/status-stages.test.ts holds the two together).
 */
import { Stage } from '../kafka/dead-letter';
import { Topics, type Topic } from '../kafka/topics';

export interface WatchedStage {
  readonly stage: Stage;
  readonly topic: Topic;
}

/** In pipeline order. */
export const WATCHED_STAGES: readonly WatchedStage[] = [
  { stage: Stage.VALIDATE_TRADES, topic: Topics.TRADES_CAPTURED },
  { stage: Stage.PERSIST_TRADES, topic: Topics.TRADES_VALIDATED },
  { stage: Stage.SETTLE_TRADES, topic: Topics.TRADES_BOOKED },
  { stage: Stage.POSITIONS, topic: Topics.TRADES_BOOKED },
  { stage: Stage.SETTLEMENT_STATUS, topic: Topics.SETTLEMENT_STATUS },
  { stage: Stage.RECONCILE, topic: Topics.CUSTODY_STATEMENTS },
  { stage: Stage.EOD_PRICES, topic: Topics.PRICES_EOD },
  { stage: Stage.RISK_POSITIONS, topic: Topics.POSITIONS_CHANGED },
];

/** The consumer group of `stage` on deployment stage `deployment` (`validateTrades` → `posttrade-local-validate-trades`). */
export function consumerGroupOf(stage: Stage, deployment: string): string {
  return `posttrade-${deployment}-${stage.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}
