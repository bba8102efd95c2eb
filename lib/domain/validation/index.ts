/**
 * Validation and compliance of captured trades: every rule runs and every failure is reported, so a rejected
 * trade is stored and published with all its reasons at once.
 */
import { Dec } from '../money';
import { Trade, TradeLifecycle, signedQuantity } from '../trade';
import { ValidationError } from './codes';
import {
  RecentExecution,
  ValidationContext,
  ValidationSnapshot,
  beneficialOwnerOf,
  contextFor,
  positionKey,
} from './context';
import { resolveSettlementDate, settlementDateConsistent, tradeDateBusinessDay } from './dates';
import { duplicateExecId, washTrade } from './duplicates';
import {
  amountDecimals,
  chargesNonNegative,
  currencyOfInstrument,
  lotSize,
  priceDecimals,
  pricePositive,
  priceTolerance,
  quantityPositive,
} from './economics';
import { notionalLimit, positionLimit, restrictedInstrument } from './limits';
import { ValidationRule } from './rule';
import {
  accountActive,
  accountKnown,
  counterpartyActive,
  counterpartyKnown,
  instrumentActive,
  instrumentKnown,
  ssiAvailable,
} from './static-data';

export * from './codes';
export * from './context';
export { resolveSettlementDate } from './dates';
export type { ValidationRule } from './rule';

/** Every rule, in the order its errors are reported. */
export const VALIDATION_RULES: readonly ValidationRule[] = [
  instrumentKnown,
  instrumentActive,
  accountKnown,
  accountActive,
  counterpartyKnown,
  counterpartyActive,
  ssiAvailable,
  currencyOfInstrument,
  quantityPositive,
  lotSize,
  pricePositive,
  priceDecimals,
  chargesNonNegative,
  amountDecimals,
  priceTolerance,
  notionalLimit,
  positionLimit,
  restrictedInstrument,
  tradeDateBusinessDay,
  settlementDateConsistent,
  duplicateExecId,
  washTrade,
];

/** A trade that passed validation; its settlement date is resolved (stated and agreed, or computed). */
export type ValidatedTrade = Trade & { readonly settlementDate: string };

export type ValidationResult =
  | { readonly ok: true; readonly value: ValidatedTrade }
  | { readonly ok: false; readonly errors: readonly ValidationError[] };

/**
 * Runs every rule that applies to the trade's lifecycle and returns every failure; on success the trade with
 * its settlement date resolved.
 */
export function validateTrade(
  trade: Trade,
  context: ValidationContext,
  rules: readonly ValidationRule[] = VALIDATION_RULES,
): ValidationResult {
  const errors = rules
    .filter((rule) => rule.appliesTo.includes(trade.lifecycle))
    .flatMap((rule) => rule.check(trade, context));
  if (errors.length > 0) return { ok: false, errors };
  const settlement = resolveSettlementDate(trade, context);
  if (!settlement.ok) return { ok: false, errors: settlement.errors };
  return { ok: true, value: { ...trade, settlementDate: settlement.value } };
}

/**
 * Validates a batch in order against one prefetched snapshot, as if the trades had arrived one by one: an
 * ExecID repeated within the batch is a duplicate, accepted trades move the positions later trades are limited
 * against, and they are wash-trade candidates for the trades after them.
 */
export function validateBatch(
  trades: readonly Trade[],
  snapshot: ValidationSnapshot,
  rules: readonly ValidationRule[] = VALIDATION_RULES,
): { readonly trade: Trade; readonly result: ValidationResult }[] {
  const seenExecIds = new Set(snapshot.seenExecIds);
  const positions = new Map(snapshot.positions);
  const recentExecutions: RecentExecution[] = [...snapshot.recentExecutions];
  return trades.map((trade) => {
    const context = contextFor(trade, { ...snapshot, seenExecIds, positions, recentExecutions });
    const result = validateTrade(trade, context, rules);
    seenExecIds.add(trade.execId);
    if (result.ok && trade.lifecycle !== TradeLifecycle.CANCEL) {
      // Only a new trade adds to the position here: for an amend the snapshot's position must already exclude
      // the replaced version, and a cancel's effect needs the original, which the store knows.
      if (trade.lifecycle === TradeLifecycle.NEW) {
        const key = positionKey(trade.account, trade.isin);
        positions.set(key, (positions.get(key) ?? new Dec(0)).plus(signedQuantity(trade)));
      }
      const owner = beneficialOwnerOf(trade, context.account);
      if (owner !== undefined) {
        const { execId, tradeId, isin, side, quantity, price, tradeTime } = trade;
        recentExecutions.push({ execId, tradeId, beneficialOwner: owner, isin, side, quantity, price, tradeTime });
      }
    }
    return { trade, result };
  });
}
