/**
 * What settlement does with a batch of booked trade versions, decided without I/O: the settlement date each
 * version settles on (its market's cycle and holiday calendar; a stated date is checked, never trusted), the SSI
 * it settles with, the instruction it gets, and which earlier instruction an amend or a cancel replaces or ends.
 * The store loads the inputs and writes the outcome; this module only decides.
 */
import { HolidayCalendar } from '../domain/calendar';
import { Dec } from '../domain/money';
import { Ssi, selectSsi } from '../domain/refdata';
import {
  checkExplicitSettlementDate,
  resolveCycle,
  settlementDate,
  SettlementCycleRule,
} from '../domain/settlement-date';
import {
  BookedTradeForSettlement,
  buildSettlementInstruction,
  cancelSettlementInstruction,
  InstructionCancellation,
  replaceSettlementInstruction,
  SettlementInstruction,
} from '../domain/settlement-instruction';
import type { BookedTradeEventV1 } from '../kafka/schemas/booked-trade';

/** Reasons settlement holds an instruction as an EXCEPTION beyond those the instruction builder knows. */
export const SettlementExceptionReason = {
  SETTLEMENT_DATE_MISMATCH: 'SETTLEMENT_DATE_MISMATCH',
  UNKNOWN_INSTRUMENT: 'UNKNOWN_INSTRUMENT',
  NO_SETTLEMENT_CYCLE: 'NO_SETTLEMENT_CYCLE',
  NO_SETTLEMENT_CALENDAR: 'NO_SETTLEMENT_CALENDAR',
  SETTLEMENT_CALENDAR_NOT_COVERED: 'SETTLEMENT_CALENDAR_NOT_COVERED',
} as const;

export interface SettlementException {
  readonly reason: string;
  readonly detail: string;
}

/** The instrument fields settlement needs. `settlementMic` names both the cycle market and the calendar. */
export interface SettlementInstrument {
  readonly isin: string;
  readonly instrumentType: string;
  readonly settlementMic: string;
}

export interface SettlementReferenceData {
  readonly instruments: ReadonlyMap<string, SettlementInstrument>;
  /** Cycle rules whose `market` is a settlement MIC (migrations/seed/settlement_cycles.csv). */
  readonly cycles: readonly SettlementCycleRule[];
  /** Holiday calendars by MIC. */
  readonly calendars: ReadonlyMap<string, HolidayCalendar>;
  readonly ssis: readonly Ssi[];
}

/** A gross instruction as settlement stores it: the domain instruction plus what settlement itself found. */
export interface PlannedInstruction {
  readonly instruction: SettlementInstruction;
  readonly execId: string;
  readonly state: 'INSTRUCTED' | 'EXCEPTION';
  /** The instruction builder's exceptions and settlement's own, together. */
  readonly exceptions: readonly SettlementException[];
  /** The date the trade stated, when it disagreed with the cycle. */
  readonly statedSettlementDate?: string;
  readonly settlementMarket?: string;
}

export interface SettlementPlan {
  readonly instructions: readonly PlannedInstruction[];
  /** Instructions ended by an amend (cancel-and-replace) or by a cancel of their trade. */
  readonly cancellations: readonly (InstructionCancellation & { readonly reason: 'AMENDED' | 'TRADE_CANCELLED' })[];
  /** Versions already instructed (redelivery) or older than the instructed one (late): nothing to do. */
  readonly ignored: readonly { readonly tradeId: string; readonly version: number; readonly why: string }[];
}

export type SettlementDateResolution =
  | { readonly ok: true; readonly value: { readonly date: string; readonly market: string } }
  | { readonly ok: false; readonly errors: readonly SettlementException[]; readonly market?: string };

/**
 * The settlement date of a trade by rule: the cycle in force for its instrument's settlement market and type on
 * the trade date, counted in business days of that market's calendar.
 */
export function settlementDateByRule(
  tradeDate: string,
  isin: string,
  reference: SettlementReferenceData,
): SettlementDateResolution {
  const instrument = reference.instruments.get(isin);
  if (instrument === undefined) {
    return {
      ok: false,
      errors: [{ reason: SettlementExceptionReason.UNKNOWN_INSTRUMENT, detail: `instrument ${isin} is not known` }],
    };
  }
  const market = instrument.settlementMic;
  const cycle = resolveCycle(reference.cycles, market, instrument.instrumentType, tradeDate);
  if (cycle === undefined) {
    return {
      ok: false,
      market,
      errors: [
        {
          reason: SettlementExceptionReason.NO_SETTLEMENT_CYCLE,
          detail: `no settlement cycle for ${market} ${instrument.instrumentType} on ${tradeDate}`,
        },
      ],
    };
  }
  const calendar = reference.calendars.get(market);
  if (calendar === undefined) {
    return {
      ok: false,
      market,
      errors: [
        { reason: SettlementExceptionReason.NO_SETTLEMENT_CALENDAR, detail: `no holiday calendar for ${market}` },
      ],
    };
  }
  const date = settlementDate(tradeDate, cycle.days, calendar);
  const outside = [tradeDate, date].find((d) => !calendar.covers(d));
  if (outside !== undefined) {
    return {
      ok: false,
      market,
      errors: [
        {
          reason: SettlementExceptionReason.SETTLEMENT_CALENDAR_NOT_COVERED,
          detail: `${outside} is outside the ${market} holiday calendar (${calendar.describeCoverage()})`,
        },
      ],
    };
  }
  return { ok: true, value: { date, market } };
}

function toSettlementTrade(event: BookedTradeEventV1, settlementDateValue: string): BookedTradeForSettlement {
  const t = event.trade;
  return {
    tradeId: t.tradeId,
    version: t.version,
    account: t.account,
    counterpartyLei: t.counterpartyLei,
    isin: t.isin,
    side: t.side,
    quantity: new Dec(t.quantity),
    price: new Dec(t.price),
    commission: new Dec(t.commission),
    fees: new Dec(t.fees),
    currency: t.currency,
    tradeDate: t.tradeDate,
    settlementDate: settlementDateValue,
  };
}

/** Builds the instruction of one booked version, collecting every reason it cannot be sent. */
export function planInstruction(event: BookedTradeEventV1, reference: SettlementReferenceData): PlannedInstruction {
  const t = event.trade;
  const stated = t.settlementDate ?? event.settlementDate;
  const byRule = settlementDateByRule(t.tradeDate, t.isin, reference);
  const own: SettlementException[] = [];
  let date = stated;
  let market: string | undefined;
  if (byRule.ok) {
    date = byRule.value.date;
    market = byRule.value.market;
    const check = checkExplicitSettlementDate(t.tradeDate, stated, byRule.value.date);
    if (!check.ok)
      own.push({ reason: SettlementExceptionReason.SETTLEMENT_DATE_MISMATCH, detail: check.error.message });
  } else {
    own.push(...byRule.errors);
    market = byRule.market;
  }
  const ssi =
    market === undefined
      ? undefined
      : selectSsi(reference.ssis, {
          account: t.account,
          counterpartyLei: t.counterpartyLei,
          market,
          currency: t.currency,
        });
  // An inactive SSI is returned only when no active one exists: settling with it would be wrong.
  const usable = ssi?.active === true ? ssi : undefined;
  const instruction = buildSettlementInstruction(toSettlementTrade(event, date), usable);
  const exceptions = [
    ...(instruction.state === 'EXCEPTION' ? instruction.exceptions : []),
    ...(ssi !== undefined && !ssi.active
      ? [{ reason: 'SSI_INACTIVE', detail: `SSI ${ssi.id} is inactive and no active one exists` }]
      : []),
    ...own,
  ];
  return {
    instruction,
    execId: t.execId,
    state: exceptions.length > 0 ? 'EXCEPTION' : 'INSTRUCTED',
    exceptions,
    ...(date !== stated ? { statedSettlementDate: stated } : {}),
    ...(market === undefined ? {} : { settlementMarket: market }),
  };
}

/**
 * Plans a batch. `current` holds, per trade id, its latest instruction already stored (of any state). Versions
 * are taken per trade in version order: a version not newer than the current instruction's is ignored (a
 * redelivered or late version must not replace a newer instruction); an amend replaces the current instruction
 * (cancel-and-replace); a cancel ends it. A cancelled trade's instruction stays cancelled.
 */
export function planSettlement(
  events: readonly BookedTradeEventV1[],
  current: ReadonlyMap<string, { readonly instruction: SettlementInstruction; readonly cancelled: boolean }>,
  reference: SettlementReferenceData,
): SettlementPlan {
  const latest = new Map(current);
  const instructions: PlannedInstruction[] = [];
  const cancellations: SettlementPlan['cancellations'][number][] = [];
  const ignored: SettlementPlan['ignored'][number][] = [];
  const ordered = [...events].sort(
    (a, b) =>
      (a.trade.tradeId < b.trade.tradeId ? -1 : a.trade.tradeId > b.trade.tradeId ? 1 : 0) ||
      a.trade.version - b.trade.version,
  );
  for (const event of ordered) {
    const { tradeId, version } = event.trade;
    const previous = latest.get(tradeId);
    if (previous !== undefined && version <= previous.instruction.tradeVersion) {
      ignored.push({
        tradeId,
        version,
        why: `version ${version} is not newer than ${previous.instruction.tradeVersion}`,
      });
      continue;
    }
    if (event.trade.lifecycle === 'CANCEL' || event.status === 'CANCELLED') {
      if (previous === undefined || previous.cancelled) {
        ignored.push({ tradeId, version, why: 'no live instruction to cancel' });
        continue;
      }
      cancellations.push({ ...cancelSettlementInstruction(previous.instruction), reason: 'TRADE_CANCELLED' });
      latest.set(tradeId, { instruction: previous.instruction, cancelled: true });
      continue;
    }
    const planned = planInstruction(event, reference);
    if (previous !== undefined && !previous.cancelled) {
      const replaced = replaceSettlementInstruction(
        previous.instruction,
        toSettlementTrade(event, planned.instruction.settlementDate),
        undefined,
      );
      if (replaced.ok) cancellations.push({ ...replaced.value.cancellation, reason: 'AMENDED' });
      const withLink = {
        ...planned,
        instruction: { ...planned.instruction, replacesInstructionId: previous.instruction.instructionId },
      };
      instructions.push(withLink);
      latest.set(tradeId, { instruction: withLink.instruction, cancelled: false });
      continue;
    }
    instructions.push(planned);
    latest.set(tradeId, { instruction: planned.instruction, cancelled: false });
  }
  return { instructions, cancellations, ignored };
}
