/**
 * The simulated custodian's state, without Kafka: which instructions it holds, which reports it has sent, and
 * what it settled. The Kafka loop (cli.ts) feeds it messages, sends the reports it plans when their delay is
 * up (or, on a business-date clock, at the close of their status date), and asks it for statements. Kept apart
 * so that the whole behaviour is testable without a broker.
 */
import type { HolidayCalendar } from '../domain/calendar';
import type { SettlementInstructionMessageV1 } from '../kafka/schemas/settlement-instruction';
import type { SettlementStatusMessageV1 } from '../kafka/schemas/settlement-status';
import {
  decideSettlement,
  ReportedState,
  toCustodianInstruction,
  type CustodianDecision,
  type CustodianRates,
  type PlannedReport,
  type SettlementEffect,
} from './decide';
import type { LastingBreakResult, LastingDifferences } from './lasting-breaks';
import { buildStatement, injectBreaks, type BreakInjectionOptions, type InjectedBreak } from './statement';
import type { CustodyStatementV1 } from '../kafka/schemas/custody-statement';

export interface CustodianOptions {
  readonly seed: number;
  readonly rates: CustodianRates;
  /** The settlement market's calendar of an instruction, chosen by its place of settlement. */
  readonly calendarFor: (placeOfSettlement: string) => HolidayCalendar;
  /** BICs served; an instruction whose own agent is another BIC is left to that custodian. Empty: serve all. */
  readonly serves?: readonly string[];
  /** BIC to file an instruction under when it names no agent (a cash-only obligation). */
  readonly defaultBic: string;
}

/** What the loop must do after a message: send these reports (after `step` delays), or withdraw unsent ones. */
export interface Reaction {
  readonly send: readonly PlannedReport[];
  /** Instructions whose unsent reports must be dropped (accepted cancellation). */
  readonly withdraw: readonly string[];
  readonly note?: string;
}

interface Held {
  readonly decision: CustodianDecision;
  readonly bic: string;
  readonly sent: Set<string>;
  cancelled: boolean;
}

const NOTHING: Reaction = { send: [], withdraw: [] };

/** The reports with every date before `date` moved to it (what moved, moves on the later date). */
function notBefore(reports: readonly PlannedReport[], date: string): PlannedReport[] {
  return reports.map((report) => {
    if (report.statusDate >= date) return report;
    return {
      ...report,
      statusDate: date,
      ...(report.effect === undefined ? {} : { effect: { ...report.effect, settledOn: date } }),
    };
  });
}

export class CustodianSimulator {
  private readonly held = new Map<string, Held>();
  private readonly bicOfAccount = new Map<string, string>();

  constructor(private readonly options: CustodianOptions) {}

  /**
   * Takes one `settlement.instructions` message. NET instructions are decided (once: a redelivery plans nothing
   * new); GROSS ones are informational — the custodian settles what was netted; a CANCELLATION of a NET one that
   * reached the custodian is accepted while nothing of it has settled (reported CANCELLED), refused after.
   *
   * With `businessDate` (the custodian's today, on a business-date clock) nothing is reported before the day the
   * message arrived: an instruction received after the day it would have matched is matched on arrival, and a
   * cancellation is confirmed the day it arrives.
   */
  receive(message: SettlementInstructionMessageV1, businessDate?: string): Reaction {
    if (message.kind === 'GROSS') return NOTHING;
    if (message.kind === 'CANCELLATION') {
      return this.cancel(message.cancelsInstructionId, message.sendToCustodian, businessDate);
    }
    const instruction = toCustodianInstruction(message);
    const bic = instruction.ownAgentBic ?? this.bicOfAccount.get(`${instruction.account}|${instruction.currency}`);
    const effectiveBic = bic ?? this.options.defaultBic;
    const serves = this.options.serves ?? [];
    if (serves.length > 0 && !serves.includes(effectiveBic)) return NOTHING;
    if (this.held.has(instruction.instructionId)) return NOTHING;
    if (instruction.ownAgentBic !== undefined) {
      this.bicOfAccount.set(`${instruction.account}|${instruction.currency}`, instruction.ownAgentBic);
    }
    const calendar = this.options.calendarFor(instruction.placeOfSettlement);
    const decided = decideSettlement(instruction, this.options.rates, this.options.seed, calendar);
    const decision =
      businessDate === undefined ? decided : { ...decided, reports: notBefore(decided.reports, businessDate) };
    this.held.set(instruction.instructionId, { decision, bic: effectiveBic, sent: new Set(), cancelled: false });
    return { send: decision.reports, withdraw: [] };
  }

  private cancel(instructionId: string, sentToCustodian: boolean, businessDate: string | undefined): Reaction {
    const held = this.held.get(instructionId);
    if (!sentToCustodian || held === undefined || held.cancelled) return NOTHING;
    const settledSomething = held.decision.reports.some((r) => r.effect !== undefined && held.sent.has(r.messageId));
    if (settledSomething) {
      return { ...NOTHING, note: `cancellation of ${instructionId} refused: already (partly) settled` };
    }
    held.cancelled = true;
    const sd = held.decision.instruction.settlementDate;
    const calendar = this.options.calendarFor(held.decision.instruction.placeOfSettlement);
    const cancelled: PlannedReport = {
      messageId: `${instructionId}:CANCELLED`,
      instructionId,
      state: ReportedState.CANCELLED,
      statusDate: businessDate ?? calendar.addBusinessDays(sd, -1),
      step: 0,
    };
    return { send: [cancelled], withdraw: [instructionId] };
  }

  /** Records that a report went out: only sent reports count in statements and block cancellations. */
  markSent(report: PlannedReport): void {
    this.held.get(report.instructionId)?.sent.add(report.messageId);
  }

  /** The `settlement.status` message of a planned report. */
  statusMessage(report: PlannedReport, sentAt: string): SettlementStatusMessageV1 {
    const held = this.held.get(report.instructionId);
    return {
      schemaVersion: 1,
      messageId: report.messageId,
      instructionId: report.instructionId,
      account: held?.decision.instruction.account ?? '',
      state: report.state,
      statusDate: report.statusDate,
      ...(report.reasonCode === undefined ? {} : { reasonCode: report.reasonCode }),
      ...(report.settledQuantity === undefined ? {} : { settledQuantity: report.settledQuantity.toFixed() }),
      ...(report.settledAmount === undefined ? {} : { settledAmount: report.settledAmount.toFixed() }),
      custodian: held?.bic ?? this.options.defaultBic,
      sentAt,
    };
  }

  /** Decisions taken so far, for a summary. */
  decisions(): CustodianDecision[] {
    return [...this.held.values()].map((h) => h.decision);
  }

  /**
   * End-of-day statements for `statementDate`, one per BIC served, from the settlements reported so far, with
   * breaks injected as `breaks` says (none when omitted or at rate 0).
   */
  statements(
    statementDate: string,
    breaks?: Omit<BreakInjectionOptions, 'pending' | 'knownIsins'> & { readonly timingWindowBusinessDays?: number },
  ): { statement: CustodyStatementV1; injected: InjectedBreak[] }[] {
    const byBic = new Map<string, Held[]>();
    for (const h of this.held.values()) byBic.set(h.bic, [...(byBic.get(h.bic) ?? []), h]);
    return [...byBic.keys()].sort().map((bic) => {
      const held = byBic.get(bic) ?? [];
      const effects: SettlementEffect[] = held.flatMap((h) =>
        h.decision.reports.flatMap((r) => (r.effect !== undefined && h.sent.has(r.messageId) ? [r.effect] : [])),
      );
      const clean = buildStatement({
        custodian: bic,
        statementDate,
        accounts: [...new Set(held.map((h) => h.decision.instruction.account))],
        effects,
      });
      if (breaks === undefined || breaks.breakRate <= 0) return { statement: clean, injected: [] };
      const window = breaks.timingWindowBusinessDays ?? 1;
      // Matched, not cancelled, nothing reported settled, due within the window: our books hold it in flight.
      const pending = held.flatMap((h) => {
        const i = h.decision.instruction;
        const calendar = this.options.calendarFor(i.placeOfSettlement);
        const nothingSettled = !h.decision.reports.some((r) => r.effect !== undefined && h.sent.has(r.messageId));
        const matched = h.decision.reports.some((r) => r.state === 'MATCHED' && h.sent.has(r.messageId));
        const due = Math.abs(calendar.businessDaysBetween(i.settlementDate, statementDate)) <= window;
        if (h.cancelled || !nothingSettled || !matched || !due) return [];
        return [
          {
            instructionId: i.instructionId,
            account: i.account,
            isin: i.isin,
            currency: i.currency,
            obligation: i.obligation,
            signedQuantity: i.signedQuantity,
            signedCash: i.signedCash,
            settledOn: statementDate,
          },
        ];
      });
      return injectBreaks(clean, {
        ...breaks,
        pending,
        knownIsins: [...new Set(this.decisions().map((d) => d.instruction.isin))],
      });
    });
  }

  /**
   * The clean statements of `statementDate` with the differences `lasting` has open on it (lasting-breaks.ts):
   * what a custodian that is behind with some of its own bookings sends, day after day, until it catches up.
   */
  lastingStatements(statementDate: string, lasting: LastingDifferences): LastingBreakResult {
    const clean = this.statements(statementDate).map((s) => s.statement);
    return lasting.apply(statementDate, clean, [...new Set(this.decisions().map((d) => d.instruction.isin))]);
  }
}
