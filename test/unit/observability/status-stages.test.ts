import fs from 'node:fs';
import path from 'node:path';

import { Stage } from '../../../lib/kafka/dead-letter';
import { WATCHED_STAGES, consumerGroupOf } from '../../../lib/status/stages';

const SERVERLESS = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'serverless.yml'), 'utf8');

/** Each function's mapping as serverless.yml declares it: its topic and consumer group. */
function mappingOf(fn: string): { topic: string; group: string } | undefined {
  const block = new RegExp(`^  ${fn}:\\n((?:    .*\\n|\\s*\\n)+)`, 'm').exec(SERVERLESS)?.[1] ?? '';
  const topic = /^\s+topic: (\S+)$/m.exec(block)?.[1];
  const group = /^\s+consumerGroupId: (\S+)$/m.exec(block)?.[1];
  return topic === undefined || group === undefined ? undefined : { topic, group };
}

describe('the stages posttrade status watches', () => {
  it('are every Kafka-triggered stage, with the topic and consumer group serverless.yml gives it', () => {
    expect(WATCHED_STAGES.map((w) => w.stage).sort()).toEqual(Object.values(Stage).sort());
    for (const watched of WATCHED_STAGES) {
      expect({ stage: watched.stage, ...mappingOf(watched.stage) }).toEqual({
        stage: watched.stage,
        topic: watched.topic,
        group: consumerGroupOf(watched.stage, '${sls:stage}'),
      });
    }
  });
});
