/**
 * The Kafka key of the trade topics (`trades.captured`, `trades.validated`): the beneficial owner of the trade's
 * account, from reference data. Why the owner and not the account: the wash-trade rule (findWashTrade,
 * lib/domain/validation/duplicates.ts) compares one owner's executions across its accounts, and refuses whichever
 * leg of a matching pair is decided second; with the key the account, the two legs sit on two partitions and
 * redelivery timing decides which one is refused. Keyed by owner, one owner's trades are in one partition in the
 * order they were captured, so the first leg is booked and the second refused on every run, whatever fails. An
 * account has one owner, so one account's trades keep their order too. An account unknown to reference data is
 * keyed by its id (validation rejects it anyway).
 *
 * The owner stated on a trade (`beneficialOwner`, rare) does not change the key: per-account order is what the
 * limit checks need, so such a trade stays on its account's owner's partition (see README, "Exactly-once effects").
 */

/** Beneficial owners by account id, for the accounts reference data knows. */
export interface AccountOwners {
  ownersOf(accountIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
}

/** The partition key of a trade of `account`: its owner, else (unknown account) the account id. */
export function tradeKey(account: string, owners: ReadonlyMap<string, string>): string {
  return owners.get(account) ?? account;
}

/** {@link AccountOwners} from reference data already in memory (the simulator's CSVs, tests). */
export class StaticAccountOwners implements AccountOwners {
  private readonly owners: ReadonlyMap<string, string>;

  constructor(accounts: Iterable<{ readonly id: string; readonly beneficialOwner: string }>) {
    this.owners = new Map([...accounts].map((account) => [account.id, account.beneficialOwner]));
  }

  ownersOf(accountIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const found = new Map<string, string>();
    for (const id of accountIds) {
      const owner = this.owners.get(id);
      if (owner !== undefined) found.set(id, owner);
    }
    return Promise.resolve(found);
  }
}
