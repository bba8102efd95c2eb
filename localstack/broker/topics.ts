import fs from 'node:fs';
import path from 'node:path';
import { PartitionLog, type LogOptions } from './partition-log';
import type { Logger } from './types';

export interface TopicInfo {
  readonly name: string;
  readonly partitions: PartitionLog[];
  readonly configs: Record<string, string>;
}

/** Topic-level configs this broker honours, and what each accepts; anything else is refused at creation. */
const TOPIC_CONFIGS: Readonly<Record<string, (value: string) => string | undefined>> = {
  'retention.ms': integerFrom(-1),
  'retention.bytes': integerFrom(-1),
  'segment.bytes': integerFrom(1024),
  'max.message.bytes': integerFrom(64),
  'min.insync.replicas': (v) => (v === '1' ? undefined : 'a single-node broker has one replica: use 1'),
  'cleanup.policy': (v) => (v === 'delete' ? undefined : `'${v}' is not supported (only delete: no log compaction)`),
  'message.timestamp.type': (v) => (v === 'CreateTime' ? undefined : `'${v}' is not supported (only CreateTime)`),
  'compression.type': (v) => (v === 'producer' ? undefined : `'${v}' is not supported (only producer)`),
};

function integerFrom(min: number): (value: string) => string | undefined {
  return (v) => (/^-?\d+$/.test(v) && Number(v) >= min ? undefined : `must be an integer >= ${min}`);
}

/** Why a topic config cannot be accepted, or undefined when it can. */
export function topicConfigProblem(name: string, value: string): string | undefined {
  const check = TOPIC_CONFIGS[name];
  if (!check) return `unknown or unsupported topic config '${name}'`;
  const problem = check(value);
  return problem ? `${name}: ${problem}` : undefined;
}

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

export function topicNameProblem(name: string): string | undefined {
  if (!LEGAL_TOPIC.test(name)) return `illegal topic name '${name}': use 1-249 of [a-zA-Z0-9._-]`;
  if (name === '.' || name === '..') return `illegal topic name '${name}'`;
  if (name.startsWith('__')) return `topic names starting with '__' are internal`;
  return undefined;
}

interface TopicsFile {
  readonly topics: { name: string; partitions: number; configs: Record<string, string> }[];
}

/**
 * The broker's topics and their partition logs. The catalogue is a small JSON file replaced atomically
 * (write + rename), so a crash leaves either the old or the new catalogue, never half of one.
 */
export class TopicRegistry {
  private readonly topics = new Map<string, TopicInfo>();
  private readonly catalogue: string;

  constructor(
    private readonly dataDir: string,
    private readonly logOptions: LogOptions,
    private readonly logger: Logger,
  ) {
    fs.mkdirSync(path.join(dataDir, '__meta'), { recursive: true });
    this.catalogue = path.join(dataDir, '__meta', 'topics.json');
    this.load();
  }

  private load(): void {
    if (!fs.existsSync(this.catalogue)) return;
    const file = JSON.parse(fs.readFileSync(this.catalogue, 'utf8')) as TopicsFile;
    for (const t of file.topics) {
      const partitions = Array.from({ length: t.partitions }, (_, p) => this.openLog(t.name, p, t.configs));
      this.topics.set(t.name, { name: t.name, partitions, configs: t.configs });
    }
  }

  private save(): void {
    const file: TopicsFile = {
      topics: [...this.topics.values()].map((t) => ({
        name: t.name,
        partitions: t.partitions.length,
        configs: t.configs,
      })),
    };
    const tmp = `${this.catalogue}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(file, null, 2));
    fs.renameSync(tmp, this.catalogue);
  }

  private openLog(topic: string, partition: number, configs: Record<string, string>): PartitionLog {
    const dir = path.join(this.dataDir, `${topic}-${partition}`);
    return PartitionLog.open(dir, this.optionsFor(configs), this.logger);
  }

  /** The broker's log options with the topic's own overrides applied. */
  private optionsFor(configs: Record<string, string>): LogOptions {
    const num = (key: string, fallback: number) => (configs[key] !== undefined ? Number(configs[key]) : fallback);
    return {
      segmentBytes: num('segment.bytes', this.logOptions.segmentBytes),
      retentionBytes: num('retention.bytes', this.logOptions.retentionBytes),
      retentionMs: num('retention.ms', this.logOptions.retentionMs),
    };
  }

  get(name: string): TopicInfo | undefined {
    return this.topics.get(name);
  }

  partition(topic: string, partition: number): PartitionLog | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  all(): TopicInfo[] {
    return [...this.topics.values()];
  }

  create(name: string, partitions: number, configs: Record<string, string> = {}): TopicInfo {
    const logs = Array.from({ length: partitions }, (_, p) => this.openLog(name, p, configs));
    const topic: TopicInfo = { name, partitions: logs, configs };
    this.topics.set(name, topic);
    this.save();
    this.logger.info(`created topic ${name} with ${partitions} partition(s)`);
    return topic;
  }

  addPartitions(name: string, total: number): void {
    const topic = this.topics.get(name);
    if (!topic) return;
    for (let p = topic.partitions.length; p < total; p++) topic.partitions.push(this.openLog(name, p, topic.configs));
    this.save();
    this.logger.info(`topic ${name} now has ${total} partitions`);
  }

  delete(name: string): void {
    const topic = this.topics.get(name);
    if (!topic) return;
    this.topics.delete(name);
    this.save();
    topic.partitions.forEach((log, p) => {
      log.close();
      fs.rmSync(path.join(this.dataDir, `${name}-${p}`), { recursive: true, force: true });
    });
    this.logger.info(`deleted topic ${name}`);
  }

  applyRetention(now = Date.now()): void {
    for (const t of this.topics.values()) for (const log of t.partitions) log.applyRetention(now);
  }

  close(): void {
    for (const t of this.topics.values()) for (const log of t.partitions) log.close();
  }
}
