/**
 * Creates the Kafka topics the stack needs before anything consumes: every topic an `msk`/`kafka` event in
 * serverless.yml reads, every `kafka://` on-failure destination, and every topic of lib/kafka/topics.ts (which the
 * handlers produce to), with the partition counts lib/kafka/topics.ts gives. A Lambda mapping cannot start on a
 * missing topic, and relying on auto-creation would give one partition and hide typos.
 *
 * `node --import tsx localstack/topics.ts [--config serverless.yml] [--brokers host:port,...]` (KAFKA_BROKERS by
 * default); creating is idempotent: existing topics are left as they are.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { topicSpecs } from '../lib/kafka/topics';
import { EsmConfigError, parseEventSourceMappings } from './esm';

export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions: number;
}

/** Partitions of a topic serverless.yml uses that lib/kafka/topics.ts does not list. */
export const DEFAULT_PARTITIONS = 1;

/**
 * The topics a parsed serverless.yml needs (sources and on-failure destinations), merged with `known` topics and
 * their partition counts; sorted by name so the output is stable.
 */
export function requiredTopics(slsConfig: unknown, known: readonly TopicSpec[]): TopicSpec[] {
  const parsed = parseEventSourceMappings(slsConfig);
  if (!parsed.ok) throw new EsmConfigError(parsed.errors);
  const partitions = new Map(known.map((t) => [t.topic, t.numPartitions]));
  const names = new Set(known.map((t) => t.topic));
  for (const m of parsed.value) {
    names.add(m.topic);
    if (m.onFailure !== undefined) names.add(m.onFailure.topic);
  }
  return [...names].sort().map((topic) => ({ topic, numPartitions: partitions.get(topic) ?? DEFAULT_PARTITIONS }));
}

/** serverless.yml as osls reads it (CloudFormation tags understood, variables left unresolved). */
export async function readServerlessYml(path: string): Promise<unknown> {
  const requireFromHere = createRequire(__filename);
  const read = requireFromHere('osls/lib/configuration/read') as (configurationPath: string) => Promise<unknown>;
  return read(resolve(path));
}

export interface EnsureTopicsResult {
  readonly created: string[];
  readonly existing: string[];
}

/** Creates the topics that do not exist yet. */
export async function ensureTopics(
  brokers: readonly string[],
  specs: readonly TopicSpec[],
): Promise<EnsureTopicsResult> {
  const kafka = new Kafka({ clientId: 'posttrade-topics', brokers: [...brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const present = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !present.has(s.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({ topic: s.topic, numPartitions: s.numPartitions })),
      });
    }
    return {
      created: missing.map((s) => s.topic),
      existing: specs.filter((s) => present.has(s.topic)).map((s) => s.topic),
    };
  } finally {
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', default: 'serverless.yml' },
      brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
    },
  });
  const brokers = values.brokers
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  const specs = requiredTopics(await readServerlessYml(values.config), topicSpecs());
  const { created, existing } = await ensureTopics(brokers, specs);
  console.log(
    `topics: ${created.length} created${created.length > 0 ? ` (${created.join(', ')})` : ''}, ` +
      `${existing.length} already there`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
