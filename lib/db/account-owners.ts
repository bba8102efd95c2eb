/**
 * Account → beneficial owner from `accounts`, cached per container: every capture (POST /trades, file import, demo)
 * needs it for the trade topics' key (lib/pipeline/trade-keys.ts), and it changes about never. A cached answer
 * lives {@link OWNER_CACHE_MS}; an owner changed in reference data moves that account's new trades to the new
 * owner's partition within that time. Only ordering depends on it: the wash-trade rule itself reads the database.
 */
import type { Pool } from 'pg';

import type { AccountOwners } from '../pipeline/trade-keys';

/** How long an account's owner (or its absence) is trusted without asking the database again. */
export const OWNER_CACHE_MS = 5 * 60_000;

export class PgAccountOwners implements AccountOwners {
  /** By account id: the owner, or null for an account the table does not have, and when it was read. */
  private readonly cache = new Map<string, { owner: string | null; readAt: number }>();

  constructor(
    private readonly pool: Pick<Pool, 'query'>,
    private readonly now: () => number = Date.now,
  ) {}

  async ownersOf(accountIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const at = this.now();
    const missing = [...new Set(accountIds)].filter((id) => {
      const cached = this.cache.get(id);
      return cached === undefined || at - cached.readAt >= OWNER_CACHE_MS;
    });
    if (missing.length > 0) {
      const { rows } = await this.pool.query<{ id: string; beneficial_owner: string }>(
        'SELECT id, beneficial_owner FROM accounts WHERE id = ANY($1::text[])',
        [missing],
      );
      const found = new Map(rows.map((row) => [row.id, row.beneficial_owner]));
      for (const id of missing) this.cache.set(id, { owner: found.get(id) ?? null, readAt: at });
    }
    const owners = new Map<string, string>();
    for (const id of accountIds) {
      const owner = this.cache.get(id)?.owner;
      if (owner !== undefined && owner !== null) owners.set(id, owner);
    }
    return owners;
  }
}
