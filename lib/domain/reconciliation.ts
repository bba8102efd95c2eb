/**
 * Reconciliation of our settled securities positions and cash balances against a custodian's statement
 * (the content of an MT535 / semt.002 holdings statement and an MT950 / camt.053 cash statement).
 *
 * Matching runs in the order an operations team works: exact keys first, then tolerances, then explanations
 * (settlements in flight, custodian fees, FX postings); whatever remains is a break. Breaks carry a key that
 * depends only on what is compared, so tomorrow's statement either finds the same break again (it ages) or
 * does not (it is resolved).
 */
import { HolidayCalendar } from './calendar';
import { Dec } from './money';

export const BreakClass = {
  /** The custodian holds something our books do not have at all. */
  MISSING_INTERNAL: 'MISSING_INTERNAL',
  /** Our books hold something the custodian does not report. */
  MISSING_AT_CUSTODIAN: 'MISSING_AT_CUSTODIAN',
  QUANTITY: 'QUANTITY',
  AMOUNT: 'AMOUNT',
  /** The difference is explained by settlements due or settled within the timing window: it should clear itself. */
  TIMING: 'TIMING',
  /** The statement reports the same key more than once. */
  DUPLICATE: 'DUPLICATE',
  /** A cash difference explained by custodian fee postings we have not booked (custody, transaction charges). */
  FEES: 'FEES',
  /** A cash difference explained by custodian FX postings we have not booked (e.g. an automatic FX to fund a trade). */
  FX: 'FX',
} as const;
export type BreakClass = (typeof BreakClass)[keyof typeof BreakClass];

export interface InternalPosition {
  readonly account: string;
  readonly isin: string;
  readonly quantity: Dec;
}

export interface InternalCashBalance {
  readonly account: string;
  readonly currency: string;
  readonly amount: Dec;
}

/**
 * A settlement near its settlement date, as our books see it. Such settlements cause most day-to-day
 * differences: we marked one settled that the custodian's statement (cut earlier) does not show yet, or the
 * custodian settled one whose confirmation we have not processed.
 */
export interface InFlightSettlement {
  readonly instructionId: string;
  readonly account: string;
  readonly isin: string;
  readonly currency: string;
  /** + received, − delivered. */
  readonly signedQuantity: Dec;
  /** + received, − paid; zero when free of payment. */
  readonly signedCash: Dec;
  readonly settlementDate: string;
  /** True when our positions already include it; false when we still hold it as pending. */
  readonly settledInternally: boolean;
}

export interface InternalBooks {
  readonly positions: readonly InternalPosition[];
  readonly cash: readonly InternalCashBalance[];
  readonly inFlight: readonly InFlightSettlement[];
  /** References of custodian cash postings we have already booked: those explain nothing. */
  readonly bookedPostingReferences: readonly string[];
}

export const CustodianPostingType = { FEE: 'FEE', FX: 'FX' } as const;
export type CustodianPostingType = (typeof CustodianPostingType)[keyof typeof CustodianPostingType];

/** An itemised cash posting on the statement (MT950 / camt.053 entry) of a kind that can explain a difference. */
export interface CustodianCashPosting {
  readonly reference: string;
  readonly account: string;
  readonly currency: string;
  /** Signed: negative for a charge. */
  readonly amount: Dec;
  readonly type: CustodianPostingType;
}

export interface CustodianStatement {
  readonly statementId: string;
  /** The date whose close of business the statement reports. */
  readonly statementDate: string;
  /**
   * The accounts the statement covers. Books of other accounts are not compared and their open breaks are left
   * alone: a statement for one account must not resolve, or raise, breaks on another.
   */
  readonly accounts: readonly string[];
  readonly positions: readonly InternalPosition[];
  readonly cash: readonly InternalCashBalance[];
  readonly cashPostings: readonly CustodianCashPosting[];
}

/** Tolerances are data, agreed per custodian relationship. */
export interface ReconciliationTolerances {
  /** Absolute quantity difference accepted as a match (0 for most securities). */
  readonly quantityAbsolute: Dec;
  /** Absolute amount difference accepted as a match, in units of the currency. */
  readonly amountAbsolute: Dec;
  /** Per-currency overrides: 0.01 is meaningful in USD, not in JPY. */
  readonly amountAbsoluteByCurrency?: Readonly<Record<string, Dec>>;
  /**
   * A settlement whose settlement date is within this many business days (either side) of the statement date
   * may explain a difference as TIMING.
   */
  readonly timingWindowBusinessDays: number;
}

/** An ageing bucket: breaks aged up to `maxBusinessDays` inclusive; the last bucket has no upper bound. */
export interface AgeingBucket {
  readonly label: string;
  readonly maxBusinessDays?: number;
}

export const DEFAULT_AGEING_BUCKETS: readonly AgeingBucket[] = [
  { label: '0-1', maxBusinessDays: 1 },
  { label: '2-5', maxBusinessDays: 5 },
  { label: '6-10', maxBusinessDays: 10 },
  { label: '11+' },
];

export type BreakSubject =
  | { readonly scope: 'POSITION'; readonly account: string; readonly isin: string }
  | { readonly scope: 'CASH'; readonly account: string; readonly currency: string };

export interface ReconciliationBreak {
  /**
   * Deterministic from what is compared — `POSITION|account|isin`, `CASH|account|currency`, prefixed with
   * `DUPLICATE|` for duplicate statement lines. The class is deliberately not part of it: a TIMING break that
   * turns into a QUANTITY break is the same problem and keeps its age.
   */
  readonly breakKey: string;
  readonly breakClass: BreakClass;
  readonly subject: BreakSubject;
  readonly internalValue?: Dec;
  readonly custodianValue?: Dec;
  /** Custodian minus internal (absent values count as zero). */
  readonly difference: Dec;
  /** Instruction ids (TIMING) or custodian posting references (FEES, FX) that explain the difference. */
  readonly explainedBy: readonly string[];
  /** Statement date on which the break was first seen. */
  readonly openedOn: string;
  readonly lastSeenStatementId: string;
  readonly lastSeenOn: string;
  readonly ageBusinessDays: number;
  readonly ageingBucket: string;
}

export interface ReconciliationResult {
  readonly newBreaks: readonly ReconciliationBreak[];
  /** Breaks open before and still open, with age brought up to date. */
  readonly stillOpen: readonly ReconciliationBreak[];
  /** Keys of open breaks that this statement agrees with. */
  readonly resolvedBreakKeys: readonly string[];
}

/** Beyond this many in-flight settlements per key only single ones and all together are tried (2^n subsets). */
const MAX_SUBSET_SEARCH = 12;

interface Comparison {
  readonly subject: BreakSubject;
  readonly breakKey: string;
  readonly internalValue?: Dec;
  readonly custodianValue?: Dec;
  readonly tolerance: Dec;
  /** Candidate explanations: id and the difference each would explain (custodian − internal). */
  readonly timing: readonly { id: string; effect: Dec }[];
  readonly postings: readonly CustodianCashPosting[];
}

type Finding = Omit<
  ReconciliationBreak,
  'openedOn' | 'lastSeenStatementId' | 'lastSeenOn' | 'ageBusinessDays' | 'ageingBucket'
>;

function subjectKey(subject: BreakSubject): string {
  return subject.scope === 'POSITION'
    ? `POSITION|${subject.account}|${subject.isin}`
    : `CASH|${subject.account}|${subject.currency}`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Ageing bucket label of an age in business days. */
export function ageingBucketOf(
  ageBusinessDays: number,
  buckets: readonly AgeingBucket[] = DEFAULT_AGEING_BUCKETS,
): string {
  const bucket = buckets.find((b) => b.maxBusinessDays === undefined || ageBusinessDays <= b.maxBusinessDays);
  return bucket?.label ?? 'UNBUCKETED';
}

/** Combinations of `items`, smallest first, each in input order: the first one that fits is the simplest story. */
function* combinations<T>(items: readonly T[]): Generator<T[]> {
  if (items.length > MAX_SUBSET_SEARCH) {
    for (const item of items) yield [item];
    yield [...items];
    return;
  }
  function* ofSize(start: number, size: number): Generator<T[]> {
    if (size === 0) {
      yield [];
      return;
    }
    for (let i = start; i <= items.length - size; i++) {
      const head = items[i];
      if (head === undefined) continue;
      for (const tail of ofSize(i + 1, size - 1)) yield [head, ...tail];
    }
  }
  for (let size = 1; size <= items.length; size++) yield* ofSize(0, size);
}

function explain<T>(difference: Dec, tolerance: Dec, items: readonly T[], effect: (item: T) => Dec): T[] | undefined {
  for (const subset of combinations(items)) {
    const explained = subset.reduce((sum, item) => sum.plus(effect(item)), new Dec(0));
    if (difference.minus(explained).abs().lte(tolerance)) return subset;
  }
  return undefined;
}

function classify(comparison: Comparison): Finding | undefined {
  const internal = comparison.internalValue ?? new Dec(0);
  const custodian = comparison.custodianValue ?? new Dec(0);
  const difference = custodian.minus(internal);
  if (difference.abs().lte(comparison.tolerance)) return undefined;

  const finding = (breakClass: BreakClass, explainedBy: readonly string[]): Finding => ({
    breakKey: comparison.breakKey,
    breakClass,
    subject: comparison.subject,
    ...(comparison.internalValue === undefined ? {} : { internalValue: comparison.internalValue }),
    ...(comparison.custodianValue === undefined ? {} : { custodianValue: comparison.custodianValue }),
    difference,
    explainedBy,
  });

  const timing = explain(difference, comparison.tolerance, comparison.timing, (t) => t.effect);
  if (timing)
    return finding(
      BreakClass.TIMING,
      timing.map((t) => t.id),
    );
  for (const type of [CustodianPostingType.FEE, CustodianPostingType.FX]) {
    const postings = comparison.postings.filter((p) => p.type === type);
    const explaining = explain(difference, comparison.tolerance, postings, (p) => p.amount);
    if (explaining) {
      return finding(
        type === CustodianPostingType.FEE ? BreakClass.FEES : BreakClass.FX,
        explaining.map((p) => p.reference),
      );
    }
  }
  if (comparison.internalValue === undefined) return finding(BreakClass.MISSING_INTERNAL, []);
  if (comparison.custodianValue === undefined) return finding(BreakClass.MISSING_AT_CUSTODIAN, []);
  return finding(comparison.subject.scope === 'POSITION' ? BreakClass.QUANTITY : BreakClass.AMOUNT, []);
}

interface Line {
  readonly subject: BreakSubject;
  readonly value: Dec;
}

/**
 * Groups statement lines by key. A key reported more than once is a DUPLICATE break; when its lines agree the
 * value is still compared (a repeated line is a reporting fault, not a position fault), when they disagree
 * the position cannot be known and is not compared.
 */
function indexStatementLines(lines: readonly Line[]): {
  values: Map<string, Line>;
  duplicates: Finding[];
  undecidable: Set<string>;
} {
  const grouped = new Map<string, Line[]>();
  for (const line of lines) {
    const key = subjectKey(line.subject);
    grouped.set(key, [...(grouped.get(key) ?? []), line]);
  }
  const values = new Map<string, Line>();
  const duplicates: Finding[] = [];
  const undecidable = new Set<string>();
  for (const [key, group] of grouped) {
    const [first] = group;
    if (first === undefined) continue;
    if (group.length > 1) {
      duplicates.push({
        breakKey: `DUPLICATE|${key}`,
        breakClass: BreakClass.DUPLICATE,
        subject: first.subject,
        custodianValue: first.value,
        difference: new Dec(0),
        explainedBy: [],
      });
      if (!group.every((line) => line.value.equals(first.value))) {
        undecidable.add(key);
        continue;
      }
    }
    values.set(key, first);
  }
  return { values, duplicates, undecidable };
}

function amountTolerance(tolerances: ReconciliationTolerances, currency: string): Dec {
  return tolerances.amountAbsoluteByCurrency?.[currency] ?? tolerances.amountAbsolute;
}

function findBreaks(
  internal: InternalBooks,
  statement: CustodianStatement,
  tolerances: ReconciliationTolerances,
  calendar: HolidayCalendar,
): Finding[] {
  const covered = new Set(statement.accounts);
  const inScope = <T extends { account: string }>(items: readonly T[]) => items.filter((i) => covered.has(i.account));
  const positionSubject = (p: InternalPosition): BreakSubject => ({
    scope: 'POSITION',
    account: p.account,
    isin: p.isin,
  });
  const cashSubject = (c: InternalCashBalance): BreakSubject => ({
    scope: 'CASH',
    account: c.account,
    currency: c.currency,
  });

  const statementLines = indexStatementLines([
    ...inScope(statement.positions).map((p) => ({ subject: positionSubject(p), value: p.quantity })),
    ...inScope(statement.cash).map((c) => ({ subject: cashSubject(c), value: c.amount })),
  ]);
  // Our own books are keyed uniquely upstream; should a key repeat, its lines are summed.
  const internalLines = new Map<string, Line>();
  for (const line of [
    ...inScope(internal.positions).map((p) => ({ subject: positionSubject(p), value: p.quantity })),
    ...inScope(internal.cash).map((c) => ({ subject: cashSubject(c), value: c.amount })),
  ]) {
    const key = subjectKey(line.subject);
    const previous = internalLines.get(key);
    internalLines.set(key, previous ? { subject: line.subject, value: previous.value.plus(line.value) } : line);
  }

  const inWindow = inScope(internal.inFlight)
    .filter(
      (s) =>
        Math.abs(calendar.businessDaysBetween(s.settlementDate, statement.statementDate)) <=
        tolerances.timingWindowBusinessDays,
    )
    .sort((a, b) => compareText(a.settlementDate, b.settlementDate) || compareText(a.instructionId, b.instructionId));
  const booked = new Set(internal.bookedPostingReferences);
  const unbookedPostings = inScope(statement.cashPostings)
    .filter((p) => !booked.has(p.reference))
    .sort((a, b) => compareText(a.reference, b.reference));

  const keys = new Set([...internalLines.keys(), ...statementLines.values.keys()]);
  const findings: Finding[] = [...statementLines.duplicates];
  for (const key of keys) {
    if (statementLines.undecidable.has(key)) continue;
    const ours = internalLines.get(key);
    const theirs = statementLines.values.get(key);
    const subject = ours?.subject ?? theirs?.subject;
    if (subject === undefined) continue;
    const isPosition = subject.scope === 'POSITION';
    // Cash of a key moves with every in-flight settlement in that currency, whatever the security.
    const sameKey = (s: { account: string; isin?: string; currency: string }) =>
      s.account === subject.account &&
      (subject.scope === 'POSITION' ? s.isin === subject.isin : s.currency === subject.currency);
    const finding = classify({
      subject,
      breakKey: key,
      ...(ours === undefined ? {} : { internalValue: ours.value }),
      ...(theirs === undefined ? {} : { custodianValue: theirs.value }),
      tolerance:
        subject.scope === 'POSITION' ? tolerances.quantityAbsolute : amountTolerance(tolerances, subject.currency),
      timing: inWindow.filter(sameKey).map((s) => {
        const signed = isPosition ? s.signedQuantity : s.signedCash;
        // Settled in our books only: the custodian shows less by it; settled at the custodian only: more.
        return { id: s.instructionId, effect: s.settledInternally ? signed.negated() : signed };
      }),
      postings: subject.scope === 'CASH' ? unbookedPostings.filter(sameKey) : [],
    });
    if (finding) findings.push(finding);
  }
  return findings;
}

/**
 * Reconciles our books against a custodian statement and carries the open breaks forward.
 *
 * For every key (account + ISIN for positions, account + currency for cash) of the accounts the statement
 * covers: a difference within tolerance is a match; otherwise it is explained, in this order, as TIMING (a
 * combination of in-flight settlements within the timing window accounts for it), FEES or FX (unbooked custodian
 * postings of that type account for it), or classified MISSING_INTERNAL / MISSING_AT_CUSTODIAN / QUANTITY /
 * AMOUNT. Repeated statement lines are DUPLICATE breaks.
 *
 * A break found again keeps the date it was opened and is aged in business days of `calendar` up to `asOf`;
 * an open break of a covered account that is not found again is resolved; breaks of other accounts stay open
 * untouched except for their age. Statements are expected in date order.
 */
export function reconcile(
  internal: InternalBooks,
  statement: CustodianStatement,
  openBreaks: readonly ReconciliationBreak[],
  tolerances: ReconciliationTolerances,
  calendar: HolidayCalendar,
  asOf: string,
  buckets: readonly AgeingBucket[] = DEFAULT_AGEING_BUCKETS,
): ReconciliationResult {
  const aged = (openedOn: string) => {
    const ageBusinessDays = Math.max(0, calendar.businessDaysBetween(openedOn, asOf));
    return { ageBusinessDays, ageingBucket: ageingBucketOf(ageBusinessDays, buckets) };
  };
  const open = new Map(openBreaks.map((b) => [b.breakKey, b]));
  const covered = new Set(statement.accounts);

  const newBreaks: ReconciliationBreak[] = [];
  const stillOpen: ReconciliationBreak[] = [];
  const found = new Set<string>();
  for (const finding of findBreaks(internal, statement, tolerances, calendar)) {
    found.add(finding.breakKey);
    const previous = open.get(finding.breakKey);
    const openedOn = previous?.openedOn ?? statement.statementDate;
    const current: ReconciliationBreak = {
      ...finding,
      openedOn,
      lastSeenStatementId: statement.statementId,
      lastSeenOn: statement.statementDate,
      ...aged(openedOn),
    };
    (previous ? stillOpen : newBreaks).push(current);
  }

  const resolvedBreakKeys: string[] = [];
  for (const previous of openBreaks) {
    if (found.has(previous.breakKey)) continue;
    if (covered.has(previous.subject.account)) resolvedBreakKeys.push(previous.breakKey);
    else stillOpen.push({ ...previous, ...aged(previous.openedOn) });
  }

  const byKey = (a: ReconciliationBreak, b: ReconciliationBreak) => compareText(a.breakKey, b.breakKey);
  return {
    newBreaks: newBreaks.sort(byKey),
    stillOpen: stillOpen.sort(byKey),
    resolvedBreakKeys: resolvedBreakKeys.sort(compareText),
  };
}
