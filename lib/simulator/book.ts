/**
 * What the trade simulator has produced and expects to be live: every account's position per instrument and the
 * live good executions at their latest version. The generator keeps its good trades inside the limits and away
 * from wash trades by asking this book, as the validator asks the platform's.
 */
import { Dec } from '../domain/money';
import type { TradeEventV1 } from '../kafka/schemas/trade-event';

export interface Execution {
  readonly event: TradeEventV1;
  readonly owner: string;
}

export class Book {
  readonly positions = new Map<string, Dec>();
  /** Live good trades by tradeId, at their latest version. */
  readonly live = new Map<string, Execution>();
  /** Live trade ids by owner and ISIN: the only ones a wash trade can mirror. */
  private readonly byOwnerAndIsin = new Map<string, Set<string>>();
  /**
   * Live trades by trade date, each date's in the order of {@link live}: corrections pick among one date's trades,
   * and filtering the whole book for them made a long run quadratic (200,000 trades took minutes).
   */
  private readonly byTradeDate = new Map<string, Map<string, Execution>>();

  position(account: string, isin: string): Dec {
    return this.positions.get(`${account}|${isin}`) ?? new Dec(0);
  }

  move(event: TradeEventV1, sign: 1 | -1): void {
    const key = `${event.account}|${event.isin}`;
    const signed = new Dec(event.quantity).times(event.side === 'BUY' ? sign : -sign);
    this.positions.set(key, this.position(event.account, event.isin).plus(signed));
  }

  /** Records `execution` as its trade's live version (replacing an earlier one in its place in the order). */
  setLive(execution: Execution): void {
    const previous = this.live.get(execution.event.tradeId);
    if (previous !== undefined)
      this.byOwnerAndIsin.get(`${previous.owner}|${previous.event.isin}`)?.delete(previous.event.tradeId);
    this.live.set(execution.event.tradeId, execution);
    if (previous !== undefined && previous.event.tradeDate !== execution.event.tradeDate) {
      this.byTradeDate.get(previous.event.tradeDate)?.delete(previous.event.tradeId);
    }
    const onDate = this.byTradeDate.get(execution.event.tradeDate) ?? new Map<string, Execution>();
    onDate.set(execution.event.tradeId, execution);
    this.byTradeDate.set(execution.event.tradeDate, onDate);
    const key = `${execution.owner}|${execution.event.isin}`;
    const ids = this.byOwnerAndIsin.get(key) ?? new Set<string>();
    ids.add(execution.event.tradeId);
    this.byOwnerAndIsin.set(key, ids);
  }

  /** The trade is no longer live (cancelled). */
  removeLive(tradeId: string): void {
    const execution = this.live.get(tradeId);
    if (execution === undefined) return;
    this.live.delete(tradeId);
    this.byTradeDate.get(execution.event.tradeDate)?.delete(tradeId);
    this.byOwnerAndIsin.get(`${execution.owner}|${execution.event.isin}`)?.delete(tradeId);
  }

  /** The live trades of one trade date, in the order of {@link live}. */
  liveOn(tradeDate: string): Execution[] {
    return [...(this.byTradeDate.get(tradeDate)?.values() ?? [])];
  }

  /** Whether `event` would be the mirror of a live execution of the same owner (see the washTrade rule). */
  washes(event: TradeEventV1, owner: string, windowSeconds: number): boolean {
    const at = Date.parse(event.tradeTime);
    for (const tradeId of this.byOwnerAndIsin.get(`${owner}|${event.isin}`) ?? []) {
      const other = this.live.get(tradeId)?.event;
      if (
        other !== undefined &&
        other.side !== event.side &&
        other.tradeId !== event.tradeId &&
        new Dec(other.price).equals(event.price) &&
        new Dec(other.quantity).equals(event.quantity) &&
        Math.abs(Date.parse(other.tradeTime) - at) <= windowSeconds * 1000
      ) {
        return true;
      }
    }
    return false;
  }
}
