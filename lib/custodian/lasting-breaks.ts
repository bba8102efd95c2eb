/**
 * Differences that last: what a custodian's statements show while it is behind with (or has got wrong) a booking
 * of its own, until it catches up. Unlike the one-off breaks of statement.ts, each difference is opened on one
 * statement date and shown on that many of the following statement dates (1 to `maxDays`), then disappears; so
 * reconciliation opens a break, ages it, and clears it when the custodian catches up.
 *
 * The classes: QUANTITY (a holding off by 1–9 units: a booking the custodian has not made), AMOUNT (a cash
 * balance off by 1.00–99.99: a charge it has not reversed), MISSING_AT_CUSTODIAN (a holding or balance left out:
 * moved to another safekeeping account for a while), MISSING_INTERNAL (a holding of an ISIN the account does not
 * hold: somebody else's securities booked to it). Every statement date opens `perDay` new differences across
 * the custodian's statements, drawn from a generator seeded with the run's seed and the date.
 *
 * Stateful (the differences open at the moment): one instance follows a run's statement dates in order.
 */
import { Dec, minorUnits } from '../domain/money';
import type { CustodyStatementV1 } from '../kafka/schemas/custody-statement';
import { randomFor } from './decide';
import { InjectableBreak, withContentId, type InjectedBreak } from './statement';

export type LastingBreakClass =
  | typeof InjectableBreak.QUANTITY
  | typeof InjectableBreak.AMOUNT
  | typeof InjectableBreak.MISSING_AT_CUSTODIAN
  | typeof InjectableBreak.MISSING_INTERNAL;

export const LASTING_BREAK_CLASSES: readonly LastingBreakClass[] = [
  InjectableBreak.QUANTITY,
  InjectableBreak.AMOUNT,
  InjectableBreak.MISSING_AT_CUSTODIAN,
  InjectableBreak.MISSING_INTERNAL,
];

export interface LastingBreakOptions {
  readonly seed: number;
  /** New differences each statement date opens, over all of the custodian's statements. */
  readonly perDay: number;
  /** The most statement dates one difference is shown on (at least 1). */
  readonly maxDays: number;
  /** Which classes may be drawn; all four by default. */
  readonly classes?: readonly LastingBreakClass[];
}

/** One difference and how long it lasts. */
export interface LastingBreak extends InjectedBreak {
  readonly breakClass: LastingBreakClass;
  /** The statement it shows on: the custodian (BIC) that got it wrong. */
  readonly custodian: string;
  readonly openedOn: string;
  /** Statement dates it is shown on in all; it clears on the next one. */
  readonly days: number;
}

interface Open extends LastingBreak {
  readonly scope: 'POSITION' | 'CASH';
  readonly account: string;
  /** ISIN or currency. */
  readonly other: string;
  /** QUANTITY / AMOUNT: the difference; MISSING_INTERNAL: the holding shown. */
  readonly delta: Dec;
  /** Statement dates shown on so far. */
  shown: number;
}

export interface LastingBreakResult {
  /** The statements as sent, each with the differences it shows. */
  readonly statements: { statement: CustodyStatementV1; injected: InjectedBreak[] }[];
  /** Every difference shown on this date (new ones and those still open). */
  readonly shown: readonly LastingBreak[];
  /** Differences shown before and gone from this date's statements: the custodian caught up. */
  readonly caughtUp: readonly LastingBreak[];
}

type Position = CustodyStatementV1['positions'][number];
type Cash = CustodyStatementV1['cash'][number];

const lineKey = (scope: 'POSITION' | 'CASH', account: string, other: string): string => `${scope}|${account}|${other}`;

export class LastingDifferences {
  private open: Open[] = [];
  private last: { date: string; input: string; result: LastingBreakResult } | undefined;

  constructor(private readonly options: LastingBreakOptions) {
    if (!Number.isInteger(options.perDay) || options.perDay < 0) throw new RangeError('perDay must be 0 or more');
    if (!Number.isInteger(options.maxDays) || options.maxDays < 1) throw new RangeError('maxDays must be 1 or more');
  }

  /**
   * The statements of `statementDate` with the differences that are open on it: those opened before that have
   * days left, and `perDay` new ones. Statement dates must come in order; the same date again (a statement sent
   * twice) gives the same answer.
   */
  apply(
    statementDate: string,
    clean: readonly CustodyStatementV1[],
    knownIsins: readonly string[],
  ): LastingBreakResult {
    const input = JSON.stringify(clean.map((s) => s.statementId));
    if (this.last?.date === statementDate && this.last.input === input) return this.last.result;
    if (this.last !== undefined && statementDate <= this.last.date) {
      throw new RangeError(`statement dates must ascend: ${this.last.date} then ${statementDate}`);
    }
    const byCustodian = new Map(clean.map((s) => [s.custodian, s]));
    const stillOpen: Open[] = [];
    const caughtUp: LastingBreak[] = [];
    for (const difference of this.open) {
      const statement = byCustodian.get(difference.custodian);
      if (difference.shown < difference.days && statement !== undefined && this.applies(difference, statement)) {
        stillOpen.push(difference);
      } else {
        caughtUp.push(publicView(difference));
      }
    }
    const opened = this.draw(statementDate, clean, stillOpen, knownIsins);
    this.open = [...stillOpen, ...opened];
    for (const difference of this.open) difference.shown += 1;
    const statements = clean.map((statement) => this.show(statement));
    const result = { statements, shown: this.open.map(publicView), caughtUp };
    this.last = { date: statementDate, input, result };
    return result;
  }

  /** Whether the difference can still be shown: its line is there (or, for MISSING_INTERNAL, still not held). */
  private applies(difference: Open, statement: CustodyStatementV1): boolean {
    if (!statement.accounts.includes(difference.account)) return false;
    const held = findLine(statement, difference.scope, difference.account, difference.other);
    if (difference.breakClass === InjectableBreak.MISSING_INTERNAL) return held === undefined;
    if (held === undefined) return false;
    // A difference that would take the line to zero would read as a line left out: not this class any more.
    return difference.breakClass !== InjectableBreak.QUANTITY && difference.breakClass !== InjectableBreak.AMOUNT
      ? true
      : !new Dec(held).plus(difference.delta).isZero();
  }

  private draw(
    statementDate: string,
    clean: readonly CustodyStatementV1[],
    open: readonly Open[],
    knownIsins: readonly string[],
  ): Open[] {
    const random = randomFor(this.options.seed, `lasting|${statementDate}`);
    const classes = this.options.classes ?? LASTING_BREAK_CLASSES;
    const taken = new Set(open.map((d) => `${d.custodian}|${d.breakKey}`));
    const opened: Open[] = [];
    for (let n = 0; n < this.options.perDay && classes.length > 0; n++) {
      const breakClass = classes[Math.floor(random() * classes.length)] ?? InjectableBreak.QUANTITY;
      const days = 1 + Math.floor(random() * this.options.maxDays);
      const candidates = candidatesFor(breakClass, clean, knownIsins).filter(
        (c) => !taken.has(`${c.custodian}|${lineKey(c.scope, c.account, c.other)}`),
      );
      const chosen = candidates[Math.floor(random() * candidates.length)];
      const size = random();
      const sign = random() < 0.5 ? -1 : 1;
      if (chosen === undefined) continue;
      const breakKey = lineKey(chosen.scope, chosen.account, chosen.other);
      taken.add(`${chosen.custodian}|${breakKey}`);
      let delta = new Dec(0);
      let detail: string;
      if (breakClass === InjectableBreak.QUANTITY) {
        delta = new Dec(1 + Math.floor(size * 9)).times(sign);
        if (new Dec(chosen.value).plus(delta).isZero()) delta = delta.negated();
        detail = `holding off by ${delta.toFixed()} (a booking the custodian has not made)`;
      } else if (breakClass === InjectableBreak.AMOUNT) {
        delta = new Dec(100 + Math.floor(size * 9900))
          .dividedBy(100)
          .toDecimalPlaces(minorUnits(chosen.other))
          .times(sign);
        if (new Dec(chosen.value).plus(delta).isZero()) delta = delta.negated();
        detail = `balance off by ${delta.toFixed()} (a charge the custodian has not reversed)`;
      } else if (breakClass === InjectableBreak.MISSING_AT_CUSTODIAN) {
        detail = `${chosen.scope === 'POSITION' ? 'holding' : 'balance'} of ${chosen.value} left out`;
      } else {
        delta = new Dec(10 * (1 + Math.floor(size * 9)));
        detail = `${delta.toFixed()} of ${chosen.other} we never instructed`;
      }
      opened.push({
        breakClass,
        breakKey,
        detail: `${detail}, for ${days} statement date(s)`,
        custodian: chosen.custodian,
        openedOn: statementDate,
        days,
        scope: chosen.scope,
        account: chosen.account,
        other: chosen.other,
        delta,
        shown: 0,
      });
    }
    return opened;
  }

  /** The statement with the open differences of its custodian applied, and a new content id when any is. */
  private show(statement: CustodyStatementV1): { statement: CustodyStatementV1; injected: InjectedBreak[] } {
    const mine = this.open.filter((d) => d.custodian === statement.custodian);
    if (mine.length === 0) return { statement, injected: [] };
    let positions: Position[] = statement.positions.map((p) => ({ ...p }));
    let cash: Cash[] = statement.cash.map((c) => ({ ...c }));
    for (const d of mine) {
      if (d.scope === 'POSITION') {
        positions =
          d.breakClass === InjectableBreak.MISSING_AT_CUSTODIAN
            ? positions.filter((p) => !(p.account === d.account && p.isin === d.other))
            : d.breakClass === InjectableBreak.MISSING_INTERNAL
              ? [...positions, { account: d.account, isin: d.other, quantity: d.delta.toFixed() }]
              : positions.map((p) =>
                  p.account === d.account && p.isin === d.other
                    ? { ...p, quantity: new Dec(p.quantity).plus(d.delta).toFixed() }
                    : p,
                );
      } else {
        cash =
          d.breakClass === InjectableBreak.MISSING_AT_CUSTODIAN
            ? cash.filter((c) => !(c.account === d.account && c.currency === d.other))
            : cash.map((c) =>
                c.account === d.account && c.currency === d.other
                  ? { ...c, amount: new Dec(c.amount).plus(d.delta).toFixed() }
                  : c,
              );
      }
    }
    const byKey =
      <T>(key: (line: T) => string) =>
      (a: T, b: T) =>
        key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
    positions.sort(byKey((p: Position) => `${p.account}|${p.isin}`));
    cash.sort(byKey((c: Cash) => `${c.account}|${c.currency}`));
    return {
      statement: withContentId({ ...statement, positions, cash }),
      injected: mine.map((d) => ({
        breakClass: d.breakClass,
        breakKey: d.breakKey,
        detail: `${d.detail}; day ${d.shown} of ${d.days}`,
      })),
    };
  }
}

function publicView(d: Open): LastingBreak {
  return {
    breakClass: d.breakClass,
    breakKey: d.breakKey,
    detail: d.detail,
    custodian: d.custodian,
    openedOn: d.openedOn,
    days: d.days,
  };
}

function findLine(
  statement: CustodyStatementV1,
  scope: 'POSITION' | 'CASH',
  account: string,
  other: string,
): string | undefined {
  return scope === 'POSITION'
    ? statement.positions.find((p) => p.account === account && p.isin === other)?.quantity
    : statement.cash.find((c) => c.account === account && c.currency === other)?.amount;
}

interface Candidate {
  readonly custodian: string;
  readonly scope: 'POSITION' | 'CASH';
  readonly account: string;
  readonly other: string;
  readonly value: string;
}

/** The lines a difference of the class can be put on, in statement order. */
function candidatesFor(
  breakClass: LastingBreakClass,
  statements: readonly CustodyStatementV1[],
  knownIsins: readonly string[],
): Candidate[] {
  return statements.flatMap((s): Candidate[] => {
    const positions = s.positions.map((p) => ({
      custodian: s.custodian,
      scope: 'POSITION' as const,
      account: p.account,
      other: p.isin,
      value: p.quantity,
    }));
    const cash = s.cash.map((c) => ({
      custodian: s.custodian,
      scope: 'CASH' as const,
      account: c.account,
      other: c.currency,
      value: c.amount,
    }));
    if (breakClass === InjectableBreak.QUANTITY) return positions;
    if (breakClass === InjectableBreak.AMOUNT) return cash;
    if (breakClass === InjectableBreak.MISSING_AT_CUSTODIAN) return [...positions, ...cash];
    // MISSING_INTERNAL: a known ISIN an account of the statement does not hold there.
    return [...s.accounts].sort().flatMap((account) => {
      const held = new Set(s.positions.filter((p) => p.account === account).map((p) => p.isin));
      return [...knownIsins]
        .sort()
        .filter((isin) => !held.has(isin))
        .map((isin) => ({ custodian: s.custodian, scope: 'POSITION' as const, account, other: isin, value: '0' }));
    });
  });
}
