/**
 * Reads the Kafka event source mappings a serverless.yml declares — `msk` and `kafka` function events, plus the
 * CloudFormation properties set on the generated AWS::Lambda::EventSourceMapping through `resources.extensions`
 * (osls refuses FunctionResponseTypes & co. on the events themselves) — and applies Lambda's defaults and limits.
 * Pure: takes the already-parsed YAML object, never touches the network or the file system.
 */
import { createHash } from 'node:crypto';
import { compileFilterPattern, type CompiledFilter } from './filter';

export const EventSourceKind = { msk: 'msk', selfManagedKafka: 'kafka' } as const;
export type EventSourceKind = (typeof EventSourceKind)[keyof typeof EventSourceKind];

export const StartingPosition = { trimHorizon: 'TRIM_HORIZON', latest: 'LATEST', atTimestamp: 'AT_TIMESTAMP' } as const;
export type StartingPosition = (typeof StartingPosition)[keyof typeof StartingPosition];

/** Lambda's numbers for Kafka event source mappings. */
export const ESM_LIMITS = {
  defaultBatchSize: 100,
  maxBatchSize: 10_000,
  /** Kafka's default batching window is 500 ms (unlike Kinesis/SQS, which default to 0). */
  defaultBatchingWindowMs: 500,
  maxBatchingWindowSeconds: 300,
  /** -1 means retry until the records expire (forever, here). */
  infiniteRetries: -1,
  maxRetryAttempts: 10_000,
  /** Lambda caps infinite retries at 10 when an on-failure destination is configured. */
  retriesCappedWithDestination: 10,
  minRecordAgeSeconds: 60,
  maxRecordAgeSeconds: 604_800,
  /** Synchronous invocation payload limit. */
  maxPayloadBytes: 6 * 1024 * 1024,
  maxPollers: 2000,
} as const;

export interface OnFailureDestination {
  /** The destination as written, e.g. `kafka://failed-trades`. */
  readonly destination: string;
  readonly topic: string;
}

export interface EventSourceMapping {
  /** Stable per function+source+topic, like the UUID Lambda gives a mapping; also the default consumer group. */
  readonly uuid: string;
  /** The logical id osls gives the AWS::Lambda::EventSourceMapping resource (what resources.extensions keys on). */
  readonly logicalId: string;
  readonly functionName: string;
  readonly kind: EventSourceKind;
  /** MSK only: the cluster ARN (a placeholder when serverless.yml gives a CloudFormation reference). */
  readonly eventSourceArn: string | undefined;
  /** Self-managed only: the bootstrap servers as configured. */
  readonly bootstrapServers: readonly string[] | undefined;
  readonly topic: string;
  readonly batchSize: number;
  readonly maximumBatchingWindowMs: number;
  readonly startingPosition: StartingPosition;
  /** Epoch milliseconds (serverless.yml and CloudFormation give seconds). */
  readonly startingPositionTimestampMs: number | undefined;
  readonly consumerGroupId: string;
  readonly filters: readonly CompiledFilter[];
  readonly enabled: boolean;
  /** True when ProvisionedPollerConfig is set: Kafka error-handling controls exist only in provisioned mode. */
  readonly provisioned: boolean;
  readonly maximumPollers: number | undefined;
  readonly reportBatchItemFailures: boolean;
  readonly bisectBatchOnFunctionError: boolean;
  /** Effective value: -1 (infinite) becomes 10 when an on-failure destination is set, as Lambda does. */
  readonly maximumRetryAttempts: number;
  readonly maximumRecordAgeSeconds: number;
  readonly onFailure: OnFailureDestination | undefined;
}

export type MappingsResult = { ok: true; value: EventSourceMapping[] } | { ok: false; errors: string[] };

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The same normalisation osls uses for logical ids, so extensions written for AWS find their mapping here. */
function normalizeFunctionName(name: string): string {
  const s = name.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return s.charAt(0).toUpperCase() + s.slice(1);
}
function alphaNumeric(name: string): string {
  const s = name.replace(/[^0-9A-Za-z]/g, '');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** osls's token for an MSK cluster: the cluster name from the ARN, or the name inside Fn::ImportValue / Ref. */
function mskClusterToken(arn: unknown): string {
  if (typeof arn === 'string') return arn.split('/')[1] ?? '';
  if (isObj(arn)) {
    const v = arn['Fn::ImportValue'] ?? arn.Ref;
    if (typeof v === 'string') return v;
  }
  return '';
}

/** A deterministic RFC 4122-shaped id (name-based, SHA-1, version 5 bits) so a restart joins the same group. */
export function mappingUuid(functionName: string, source: string, topic: string): string {
  const h = createHash('sha1').update(`${functionName}\u0000${source}\u0000${topic}`).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

class Issues {
  readonly list: string[] = [];
  add(path: string, msg: string): void {
    this.list.push(`${path}: ${msg}`);
  }
}

function intIn(
  issues: Issues,
  path: string,
  v: unknown,
  min: number,
  max: number,
  allowMinusOne = false,
): number | undefined {
  if (v === undefined || v === null) return undefined;
  // A value still holding a variable (`${param:...}`) comes from a serverless.yml read without osls's variable
  // resolution (localstack/topics.ts needs only the topics); osls resolves it before any consumer starts.
  if (typeof v === 'string' && v.includes('${')) return undefined;
  const ok = typeof v === 'number' && Number.isInteger(v) && ((v >= min && v <= max) || (allowMinusOne && v === -1));
  if (!ok) {
    issues.add(
      path,
      `must be an integer from ${min} to ${max}${allowMinusOne ? ' or -1' : ''} (got ${JSON.stringify(v)})`,
    );
    return undefined;
  }
  return v;
}

function bool(issues: Issues, path: string, v: unknown): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') {
    issues.add(path, `must be true or false (got ${JSON.stringify(v)})`);
    return undefined;
  }
  return v;
}

function compileFilters(issues: Issues, path: string, v: unknown): CompiledFilter[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.length === 0 || v.length > 10) {
    issues.add(path, 'must be a list of 1 to 10 filter patterns');
    return [];
  }
  const out: CompiledFilter[] = [];
  v.forEach((item: unknown, i) => {
    // Lambda's API form is { Pattern: '<json>' } (or { pattern } as some write it); osls lists pattern objects.
    const p = `${path}[${i}]`;
    let pattern: unknown = item;
    if (isObj(item) && Object.keys(item).length === 1 && typeof (item.pattern ?? item.Pattern) === 'string') {
      pattern = item.pattern ?? item.Pattern;
    }
    if (typeof pattern !== 'string' && !isObj(pattern)) {
      issues.add(p, 'must be a pattern object or { pattern: "<json>" }');
      return;
    }
    const compiled = compileFilterPattern(pattern, p);
    if (compiled.ok) out.push(compiled.value);
    else compiled.errors.forEach((e) => issues.list.push(e));
  });
  return out;
}

function parseDestination(
  issues: Issues,
  path: string,
  v: unknown,
  sourceTopic: string,
): OnFailureDestination | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !v.startsWith('kafka://') || v.length <= 'kafka://'.length) {
    issues.add(
      path,
      `only Kafka topic destinations ("kafka://<topic>") are emulated locally; got ${JSON.stringify(v)} ` +
        '(SQS/SNS/S3 destinations need AWS)',
    );
    return undefined;
  }
  const topic = v.slice('kafka://'.length);
  if (topic === sourceTopic) {
    issues.add(path, `the on-failure topic cannot be the source topic "${sourceTopic}" (Lambda blocks the loop)`);
    return undefined;
  }
  return { destination: v, topic };
}

interface RawEvent {
  readonly kind: EventSourceKind;
  readonly spec: Obj;
  readonly path: string;
}

function parseOne(functionName: string, ev: RawEvent, extensions: Obj, issues: Issues): EventSourceMapping | undefined {
  const { spec, path, kind } = ev;
  const before = issues.list.length;
  const topic = spec.topic;
  if (typeof topic !== 'string' || topic.length === 0) {
    issues.add(`${path}.topic`, 'is required (the Kafka topic to consume)');
    return undefined;
  }

  let eventSourceArn: string | undefined;
  let bootstrapServers: string[] | undefined;
  let logicalId: string;
  if (kind === EventSourceKind.msk) {
    const arn = spec.arn;
    if (typeof arn === 'string') eventSourceArn = arn;
    else if (isObj(arn) && (arn['Fn::ImportValue'] !== undefined || arn.Ref !== undefined)) {
      // Not resolvable without AWS: the local event still needs an ARN-shaped value.
      eventSourceArn = `arn:aws:kafka:us-east-1:000000000000:cluster/${mskClusterToken(arn)}/local`;
    } else issues.add(`${path}.arn`, 'is required (the MSK cluster ARN)');
    logicalId = `${normalizeFunctionName(functionName)}EventSourceMappingMSK${alphaNumeric(mskClusterToken(arn)).slice(0, 79)}${alphaNumeric(topic).slice(0, 79)}`;
  } else {
    const servers = spec.bootstrapServers;
    if (!Array.isArray(servers) || servers.length === 0 || !servers.every((s) => typeof s === 'string')) {
      issues.add(`${path}.bootstrapServers`, 'is required (a list of host:port)');
    } else bootstrapServers = servers;
    logicalId = `${normalizeFunctionName(functionName)}EventSourceMappingKafka${alphaNumeric(topic).slice(0, 158)}`;
  }

  const ext = extensions[logicalId];
  const props: Obj = isObj(ext) && isObj(ext.Properties) ? ext.Properties : {};
  const extPath = `resources.extensions.${logicalId}.Properties`;

  const batchSize =
    intIn(issues, `${extPath}.BatchSize`, props.BatchSize, 1, ESM_LIMITS.maxBatchSize) ??
    intIn(issues, `${path}.batchSize`, spec.batchSize, 1, ESM_LIMITS.maxBatchSize) ??
    ESM_LIMITS.defaultBatchSize;
  const windowSeconds =
    intIn(issues, `${extPath}.MaximumBatchingWindowInSeconds`, props.MaximumBatchingWindowInSeconds, 0, 300) ??
    intIn(issues, `${path}.maximumBatchingWindow`, spec.maximumBatchingWindow, 0, ESM_LIMITS.maxBatchingWindowSeconds);

  const positionRaw = spec.startingPosition ?? 'TRIM_HORIZON'; // osls's default for msk and kafka events
  let startingPosition: StartingPosition = StartingPosition.trimHorizon;
  if (positionRaw === 'TRIM_HORIZON' || positionRaw === 'LATEST' || positionRaw === 'AT_TIMESTAMP') {
    startingPosition = positionRaw;
  } else
    issues.add(
      `${path}.startingPosition`,
      `must be TRIM_HORIZON, LATEST or AT_TIMESTAMP (got ${JSON.stringify(positionRaw)})`,
    );
  let startingPositionTimestampMs: number | undefined;
  const ts = spec.startingPositionTimestamp;
  if (ts !== undefined && (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0)) {
    issues.add(`${path}.startingPositionTimestamp`, `must be a Unix time in seconds (got ${JSON.stringify(ts)})`);
  } else if (typeof ts === 'number') startingPositionTimestampMs = Math.round(ts * 1000);
  if (startingPosition === StartingPosition.atTimestamp && startingPositionTimestampMs === undefined) {
    issues.add(`${path}.startingPositionTimestamp`, 'is required when startingPosition is AT_TIMESTAMP');
  }

  let consumerGroupId: string | undefined;
  const group = spec.consumerGroupId;
  // A group id still holding a variable (`posttrade-${sls:stage}-...`) comes from a serverless.yml read without osls's
  // variable resolution (localstack/topics.ts needs only the topics); osls resolves it before any consumer starts.
  const unresolved = typeof group === 'string' && group.includes('${');
  if (group !== undefined && !unresolved) {
    if (
      typeof group !== 'string' ||
      group.length === 0 ||
      group.length > 200 ||
      !/^[a-zA-Z0-9\-/*:_+=.@]+$/.test(group)
    ) {
      issues.add(
        `${path}.consumerGroupId`,
        `must be 1-200 characters of [a-zA-Z0-9-/*:_+=.@] (got ${JSON.stringify(group)})`,
      );
    } else consumerGroupId = group;
  } else if (unresolved) consumerGroupId = group;

  const enabled =
    bool(issues, `${extPath}.Enabled`, props.Enabled) ?? bool(issues, `${path}.enabled`, spec.enabled) ?? true;
  const filters = compileFilters(issues, `${path}.filterPatterns`, spec.filterPatterns);

  const pollerSpec = isObj(props.ProvisionedPollerConfig)
    ? {
        min: props.ProvisionedPollerConfig.MinimumPollers,
        max: props.ProvisionedPollerConfig.MaximumPollers,
        path: `${extPath}.ProvisionedPollerConfig`,
      }
    : isObj(spec.provisionedPollerConfig)
      ? {
          min: spec.provisionedPollerConfig.minimumPollers,
          max: spec.provisionedPollerConfig.maximumPollers,
          path: `${path}.provisionedPollerConfig`,
        }
      : undefined;
  const minimumPollers = pollerSpec && intIn(issues, `${pollerSpec.path}.MinimumPollers`, pollerSpec.min, 1, 200);
  const maximumPollers =
    pollerSpec && intIn(issues, `${pollerSpec.path}.MaximumPollers`, pollerSpec.max, 1, ESM_LIMITS.maxPollers);
  if (minimumPollers !== undefined && maximumPollers !== undefined && minimumPollers > maximumPollers) {
    issues.add(
      `${pollerSpec?.path ?? path}`,
      `MinimumPollers (${minimumPollers}) exceeds MaximumPollers (${maximumPollers})`,
    );
  }
  const provisioned = pollerSpec !== undefined;

  const responseTypes = props.FunctionResponseTypes;
  let reportBatchItemFailures = false;
  if (responseTypes !== undefined) {
    if (!Array.isArray(responseTypes) || !responseTypes.every((t) => t === 'ReportBatchItemFailures')) {
      issues.add(`${extPath}.FunctionResponseTypes`, 'may only list "ReportBatchItemFailures"');
    } else reportBatchItemFailures = responseTypes.length > 0;
  }
  const bisect = bool(issues, `${extPath}.BisectBatchOnFunctionError`, props.BisectBatchOnFunctionError) ?? false;
  const retries = intIn(
    issues,
    `${extPath}.MaximumRetryAttempts`,
    props.MaximumRetryAttempts,
    0,
    ESM_LIMITS.maxRetryAttempts,
    true,
  );
  const recordAge = intIn(
    issues,
    `${extPath}.MaximumRecordAgeInSeconds`,
    props.MaximumRecordAgeInSeconds,
    ESM_LIMITS.minRecordAgeSeconds,
    ESM_LIMITS.maxRecordAgeSeconds,
    true,
  );
  const destinationConfig = isObj(props.DestinationConfig) ? props.DestinationConfig : undefined;
  const onFailureRaw = isObj(destinationConfig?.OnFailure)
    ? destinationConfig.OnFailure.Destination
    : spec.onFailureDestination;
  const onFailure = parseDestination(
    issues,
    destinationConfig ? `${extPath}.DestinationConfig.OnFailure.Destination` : `${path}.onFailureDestination`,
    onFailureRaw,
    topic,
  );

  // Lambda offers Kafka's error-handling controls only to mappings in provisioned mode.
  const controls: [string, boolean][] = [
    ['FunctionResponseTypes', reportBatchItemFailures],
    ['BisectBatchOnFunctionError', props.BisectBatchOnFunctionError !== undefined],
    ['MaximumRetryAttempts', retries !== undefined],
    ['MaximumRecordAgeInSeconds', recordAge !== undefined],
  ];
  for (const [name, set] of controls) {
    if (set && !provisioned) {
      issues.add(
        `${extPath}.${name}`,
        'needs provisioned mode for a Kafka mapping: set provisionedPollerConfig on the event or ProvisionedPollerConfig in the extension',
      );
    }
  }

  if (issues.list.length > before) return undefined;
  const maxRetries = retries ?? ESM_LIMITS.infiniteRetries;
  const source = eventSourceArn ?? (bootstrapServers ?? []).join(',');
  const uuid = mappingUuid(functionName, source, topic);
  return {
    uuid,
    logicalId,
    functionName,
    kind,
    eventSourceArn,
    bootstrapServers,
    topic,
    batchSize,
    maximumBatchingWindowMs: windowSeconds === undefined ? ESM_LIMITS.defaultBatchingWindowMs : windowSeconds * 1000,
    startingPosition,
    startingPositionTimestampMs,
    consumerGroupId: consumerGroupId ?? uuid,
    filters,
    enabled,
    provisioned,
    maximumPollers: maximumPollers ?? undefined,
    reportBatchItemFailures,
    bisectBatchOnFunctionError: bisect,
    maximumRetryAttempts:
      maxRetries === ESM_LIMITS.infiniteRetries && onFailure !== undefined
        ? ESM_LIMITS.retriesCappedWithDestination
        : maxRetries,
    maximumRecordAgeSeconds: recordAge ?? -1,
    onFailure,
  };
}

/**
 * Collects the Kafka event source mappings of every function (or only `functionName`) in a parsed serverless.yml,
 * with Lambda's defaults applied (batch size 100, batching window 500 ms, starting position TRIM_HORIZON as osls
 * defaults it, infinite retries) and every invalid value reported with its path.
 */
export function parseEventSourceMappings(slsConfig: unknown, functionName?: string): MappingsResult {
  const issues = new Issues();
  if (!isObj(slsConfig)) return { ok: false, errors: ['serverless config: must be an object'] };
  const functions = slsConfig.functions;
  if (functions !== undefined && !isObj(functions))
    return { ok: false, errors: ['functions: must be a map of functions'] };
  const resources = isObj(slsConfig.resources) ? slsConfig.resources : {};
  const extensions = isObj(resources.extensions) ? resources.extensions : {};
  if (functionName !== undefined && (functions === undefined || !(functionName in functions))) {
    return { ok: false, errors: [`functions.${functionName}: no such function`] };
  }

  const mappings: EventSourceMapping[] = [];
  for (const [name, fn] of Object.entries(functions ?? {})) {
    if (functionName !== undefined && name !== functionName) continue;
    if (!isObj(fn) || fn.events === undefined) continue;
    if (!Array.isArray(fn.events)) {
      issues.add(`functions.${name}.events`, 'must be a list');
      continue;
    }
    fn.events.forEach((event: unknown, i) => {
      if (!isObj(event)) return;
      for (const kind of [EventSourceKind.msk, EventSourceKind.selfManagedKafka]) {
        const spec = event[kind];
        if (spec === undefined) continue;
        const path = `functions.${name}.events[${i}].${kind}`;
        if (!isObj(spec)) {
          issues.add(path, 'must be an object');
          continue;
        }
        const m = parseOne(name, { kind, spec, path }, extensions, issues);
        if (m !== undefined) mappings.push(m);
      }
    });
  }
  return issues.list.length > 0 ? { ok: false, errors: issues.list } : { ok: true, value: mappings };
}
