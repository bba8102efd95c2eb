/**
 * Kafka topic names of the platform and how many partitions each gets when the local stack creates them.
 * One place owns the names: handlers, the simulator, serverless.yml and tests all read them from here.
 */
export const Topics = {
  TRADES_CAPTURED: 'trades.captured',
  TRADES_VALIDATED: 'trades.validated',
  TRADES_REJECTED: 'trades.rejected',
  TRADES_DEAD_LETTER: 'trades.deadletter',
  TRADES_BOOKED: 'trades.booked',
  SETTLEMENT_INSTRUCTIONS: 'settlement.instructions',
  SETTLEMENT_STATUS: 'settlement.status',
  CUSTODY_STATEMENTS: 'custody.statements',
  RECON_BREAKS: 'recon.breaks',
  PRICES_EOD: 'prices.eod',
  /** One record per position the positions stage rebuilt or removed (its outbox), keyed by account: risk reads it. */
  POSITIONS_CHANGED: 'positions.changed',
  /** Risk alerts raised and cleared (the risk_alerts outbox), keyed by account. */
  RISK_ALERTS: 'risk.alerts',
  /** Dead letters (lib/kafka/dead-letter.ts) of the stages reading settlement.status, custody.statements, prices.eod. */
  SETTLEMENT_DEAD_LETTER: 'settlement.deadletter',
  CUSTODY_DEAD_LETTER: 'custody.deadletter',
  PRICES_DEAD_LETTER: 'prices.deadletter',
  /** Dead letters of the stage reading positions.changed (riskPositions). */
  POSITIONS_DEAD_LETTER: 'positions.deadletter',
} as const;
export type Topic = (typeof Topics)[keyof typeof Topics];

/**
 * Partitions per topic for local topic creation. trades.captured and trades.validated are keyed by the account's
 * beneficial owner (lib/pipeline/trade-keys.ts), so one owner's events, and so one account's, keep their order
 * within a partition (the wash-trade rule needs it); the other trade topics by account. Four partitions let the
 * event-source runner exercise concurrency without making a laptop run dozens of pollers. A policy choice, not a
 * Kafka limit.
 */
export const TopicPartitions: Readonly<Record<Topic, number>> = {
  [Topics.TRADES_CAPTURED]: 4,
  [Topics.TRADES_VALIDATED]: 4,
  [Topics.TRADES_REJECTED]: 4,
  [Topics.TRADES_DEAD_LETTER]: 4,
  [Topics.TRADES_BOOKED]: 4,
  [Topics.SETTLEMENT_INSTRUCTIONS]: 4,
  [Topics.SETTLEMENT_STATUS]: 4,
  [Topics.CUSTODY_STATEMENTS]: 4,
  [Topics.RECON_BREAKS]: 4,
  [Topics.PRICES_EOD]: 4,
  [Topics.POSITIONS_CHANGED]: 4,
  [Topics.RISK_ALERTS]: 4,
  [Topics.SETTLEMENT_DEAD_LETTER]: 1,
  [Topics.CUSTODY_DEAD_LETTER]: 1,
  [Topics.PRICES_DEAD_LETTER]: 1,
  [Topics.POSITIONS_DEAD_LETTER]: 1,
};

/** Every topic with its partition count, in a shape KafkaJS `admin.createTopics({ topics })` accepts. */
export function topicSpecs(): { topic: Topic; numPartitions: number }[] {
  return Object.values(Topics).map((topic) => ({ topic, numPartitions: TopicPartitions[topic] }));
}
