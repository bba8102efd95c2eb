import type { BrokerConfig } from './config';
import type { TopicRegistry } from './topics';
import type { Logger } from './types';

/** Wakes long-polling fetches when records are appended. */
export class AppendSignal {
  private waiters = new Set<() => void>();

  wait(onAppend: () => void): () => void {
    this.waiters.add(onAppend);
    return () => this.waiters.delete(onAppend);
  }

  notify(): void {
    if (this.waiters.size === 0) return;
    for (const w of [...this.waiters]) w();
  }
}

/** What the data-plane and admin handlers share. */
export interface BrokerContext {
  readonly config: BrokerConfig;
  readonly topics: TopicRegistry;
  readonly logger: Logger;
  readonly appended: AppendSignal;
  /** The port actually bound (the configured one may be 0). */
  advertisedPort(): number;
  nextProducerId(): number;
}
