export {
  parseEventSourceMappings,
  mappingUuid,
  ESM_LIMITS,
  EventSourceKind,
  StartingPosition,
  type EventSourceMapping,
  type MappingsResult,
  type OnFailureDestination,
} from './config';
export {
  buildKafkaEvent,
  eventEnvelope,
  splitByPayloadLimit,
  payloadBytes,
  toEventRecord,
  eventRecordBytes,
  TimestampType,
  type EventEnvelope,
  type FetchedRecord,
  type KafkaEventRecord,
  type KafkaLambdaEvent,
} from './event';
export { compileFilterPattern, matchesFilter, matchesAnyFilter, filterableValue, type CompiledFilter } from './filter';
export {
  deliverBatch,
  judgeInvocation,
  bisect,
  backoffDelay,
  kafkaItemIdentifier,
  DeliveryResult,
  FailureCondition,
  type DeliveryPolicy,
  type DeliveryEffects,
  type FailureInfo,
  type InvocationOutcome,
  type BatchVerdict,
} from './delivery';
export { MappingPoller, failureHeaders, silentLogger, type EsmLogger, type MappingPollerOptions } from './engine';
export {
  startEventSourceRunner,
  type EventSourceRunner,
  type EventSourceRunnerOptions,
  type KafkaHandler,
} from './runner';
export { EsmError, EsmConfigError, PayloadTooLargeError, InvalidBatchItemFailuresError } from './errors';
