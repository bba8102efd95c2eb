import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../../localstack/broker';
import type { Logger } from '../../../localstack/broker/types';

/** Collects the broker's warnings so tests can assert on them, and keeps the test output quiet. */
export function captureLogger(): Logger & { readonly warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    debug: () => undefined,
    info: () => undefined,
    warn: (m) => warnings.push(m),
    error: (m) => warnings.push(m),
  };
}

export interface TestBroker extends RunningBroker {
  readonly dataDir: string;
  readonly logger: ReturnType<typeof captureLogger>;
  /** Stops the broker and removes its data. */
  destroy(): Promise<void>;
}

export async function startTestBroker(options: Partial<BrokerOptions> = {}): Promise<TestBroker> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'broker-test-'));
  const logger = captureLogger();
  const broker = await startBroker({ port: 0, logger, ...options, dataDir });
  return {
    ...broker,
    dataDir,
    logger,
    destroy: async () => {
      await broker.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
