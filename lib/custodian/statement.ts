/**
 * The simulated custodian's end-of-day statement (positions as in MT535 / semt.002, cash as in MT950 / camt.053)
 * built from what it settled, and the breaks it can be told to inject so that reconciliation has something real
 * to find. Pure and deterministic for a seed and statement date.
 */
import { BreakClass } from '../domain/reconciliation';
import { Dec, minorUnits } from '../domain/money';
import type { CustodyStatementV1 } from '../kafka/schemas/custody-statement';
import { randomFor, stableHash, type SettlementEffect } from './decide';

/** The break classes the custodian can inject; FEES and FX would need postings it does not simulate. */
export const InjectableBreak = {
  QUANTITY: BreakClass.QUANTITY,
  AMOUNT: BreakClass.AMOUNT,
  MISSING_AT_CUSTODIAN: BreakClass.MISSING_AT_CUSTODIAN,
  MISSING_INTERNAL: BreakClass.MISSING_INTERNAL,
  DUPLICATE: BreakClass.DUPLICATE,
  TIMING: BreakClass.TIMING,
} as const;
export type InjectableBreak = (typeof InjectableBreak)[keyof typeof InjectableBreak];

/** A break put into a statement on purpose, with the key and class reconciliation is expected to report. */
export interface InjectedBreak {
  readonly breakClass: InjectableBreak;
  readonly breakKey: string;
  readonly detail: string;
}

export interface StatementBooks {
  readonly custodian: string;
  readonly statementDate: string;
  /** Accounts the statement covers (all the custodian services), even those with nothing to report. */
  readonly accounts: readonly string[];
  /** Everything the custodian reported settled, whatever the date: only effects up to the statement date count. */
  readonly effects: readonly SettlementEffect[];
}

type Position = CustodyStatementV1['positions'][number];
type Cash = CustodyStatementV1['cash'][number];

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sumBy<K extends string>(
  effects: readonly SettlementEffect[],
  keyOf: (e: SettlementEffect) => K | undefined,
  valueOf: (e: SettlementEffect) => Dec,
): Map<K, Dec> {
  const totals = new Map<K, Dec>();
  for (const e of effects) {
    const key = keyOf(e);
    if (key === undefined) continue;
    totals.set(key, (totals.get(key) ?? new Dec(0)).plus(valueOf(e)));
  }
  return totals;
}

/**
 * The statement of what settled up to and including the statement date: positions per account and ISIN (securities
 * obligations only), cash per account and currency (every obligation), zero balances left out, lines sorted by key.
 * Its id is derived from the content, so the same statement sent again is recognised and a different one is not.
 */
export function buildStatement(books: StatementBooks): CustodyStatementV1 {
  const upTo = books.effects.filter((e) => e.settledOn <= books.statementDate);
  const positions = sumBy(
    upTo,
    (e) => (e.obligation === 'SECURITIES' ? `${e.account}|${e.isin}` : undefined),
    (e) => e.signedQuantity,
  );
  const cash = sumBy(
    upTo,
    (e) => `${e.account}|${e.currency}`,
    (e) => e.signedCash,
  );
  const lines = <T>(totals: Map<string, Dec>, make: (a: string, b: string, v: Dec) => T): T[] =>
    [...totals]
      .filter(([, value]) => !value.isZero())
      .sort(([a], [b]) => compareText(a, b))
      .map(([key, value]) => {
        const [account = '', other = ''] = key.split('|');
        return make(account, other, value);
      });
  return withContentId({
    schemaVersion: 1,
    statementId: '',
    custodian: books.custodian,
    statementDate: books.statementDate,
    accounts: [...books.accounts].sort(compareText),
    positions: lines(positions, (account, isin, v) => ({ account, isin, quantity: v.toFixed() })),
    cash: lines(cash, (account, currency, v) => ({ account, currency, amount: v.toFixed() })),
    cashPostings: [],
  });
}

/** The statement with its id derived from its content (custodian, date and a hash of its lines). */
export function withContentId(statement: CustodyStatementV1): CustodyStatementV1 {
  const content = JSON.stringify([statement.accounts, statement.positions, statement.cash]);
  const id = stableHash(content).toString(16).padStart(8, '0');
  return { ...statement, statementId: `${statement.custodian}-${statement.statementDate}-${id}` };
}

export interface BreakInjectionOptions {
  readonly seed: number;
  /** Chance (0..1) that a statement line gets a break; also the chance of each statement-level injection. */
  readonly breakRate: number;
  /** Which classes may be injected; all by default. */
  readonly classes?: readonly InjectableBreak[];
  /**
   * Settlements the custodian has matched but not reported settled, due near the statement date: reporting one
   * as settled is what a TIMING difference looks like (the custodian is a step ahead of our books).
   */
  readonly pending?: readonly SettlementEffect[];
  /** ISINs the custodian knows, to report a holding our books do not have (MISSING_INTERNAL). */
  readonly knownIsins?: readonly string[];
}

const LINE_CLASSES = {
  POSITION: [InjectableBreak.QUANTITY, InjectableBreak.MISSING_AT_CUSTODIAN, InjectableBreak.DUPLICATE],
  CASH: [InjectableBreak.AMOUNT, InjectableBreak.MISSING_AT_CUSTODIAN, InjectableBreak.DUPLICATE],
} as const;

/**
 * Puts breaks into a clean statement and says which. Statement-level injections come first and claim their keys:
 * TIMING (one pending settlement reported as settled: its position and cash lines both move by it) and
 * MISSING_INTERNAL (a holding of a known ISIN the account does not hold). Then every other line, in key order,
 * gets a break with chance `breakRate`, of a class drawn from those that fit it: QUANTITY (± 1–9 units) or
 * AMOUNT (± 1.00–99.99, far beyond a minor-unit tolerance), MISSING_AT_CUSTODIAN (the line left out), DUPLICATE
 * (the line repeated, same value). The result gets a new content id.
 *
 * The class is what reconciliation should report; a random difference that happens to equal a settlement in
 * flight for the same key would be explained as TIMING instead.
 */
export function injectBreaks(
  clean: CustodyStatementV1,
  options: BreakInjectionOptions,
): { statement: CustodyStatementV1; injected: InjectedBreak[] } {
  const random = randomFor(options.seed, `statement|${clean.custodian}|${clean.statementDate}`);
  const allowed = new Set<InjectableBreak>(options.classes ?? Object.values(InjectableBreak));
  const positions: Position[] = clean.positions.map((p) => ({ ...p }));
  const cash: Cash[] = clean.cash.map((c) => ({ ...c }));
  const injected: InjectedBreak[] = [];
  const claimed = new Set<string>();
  const positionKey = (account: string, isin: string) => `POSITION|${account}|${isin}`;
  const cashKey = (account: string, currency: string) => `CASH|${account}|${currency}`;

  const pending = [...(options.pending ?? [])]
    .filter((e) => clean.accounts.includes(e.account))
    .sort((a, b) => compareText(a.instructionId, b.instructionId));
  const timing = pending[0];
  if (allowed.has(InjectableBreak.TIMING) && timing !== undefined && random() < options.breakRate) {
    const keys: string[] = [];
    if (timing.obligation === 'SECURITIES' && !timing.signedQuantity.isZero()) {
      adjust(positions, positionKey, timing.account, timing.isin, timing.signedQuantity, (p) => [p.account, p.isin], {
        make: (value) => ({ account: timing.account, isin: timing.isin, quantity: value }),
        get: (p) => p.quantity,
        set: (p, value) => ({ ...p, quantity: value }),
      });
      keys.push(positionKey(timing.account, timing.isin));
    }
    if (!timing.signedCash.isZero()) {
      adjust(cash, cashKey, timing.account, timing.currency, timing.signedCash, (c) => [c.account, c.currency], {
        make: (value) => ({ account: timing.account, currency: timing.currency, amount: value }),
        get: (c) => c.amount,
        set: (c, value) => ({ ...c, amount: value }),
      });
      keys.push(cashKey(timing.account, timing.currency));
    }
    for (const key of keys) {
      claimed.add(key);
      injected.push({
        breakClass: InjectableBreak.TIMING,
        breakKey: key,
        detail: `${timing.instructionId} reported settled ahead of its confirmation`,
      });
    }
  }

  const account = [...clean.accounts].sort(compareText)[0];
  if (allowed.has(InjectableBreak.MISSING_INTERNAL) && account !== undefined && random() < options.breakRate) {
    const held = new Set(positions.filter((p) => p.account === account).map((p) => p.isin));
    const isin = [...(options.knownIsins ?? [])].sort(compareText).find((i) => !held.has(i));
    if (isin !== undefined) {
      const quantity = String(10 * (1 + Math.floor(random() * 9)));
      positions.push({ account, isin, quantity });
      claimed.add(positionKey(account, isin));
      injected.push({
        breakClass: InjectableBreak.MISSING_INTERNAL,
        breakKey: positionKey(account, isin),
        detail: `${quantity} of ${isin} we never instructed`,
      });
    }
  }

  const outPositions: Position[] = [];
  for (const p of positions.sort((a, b) =>
    compareText(positionKey(a.account, a.isin), positionKey(b.account, b.isin)),
  )) {
    const key = positionKey(p.account, p.isin);
    const kind = claimed.has(key)
      ? undefined
      : drawLineBreak(random, options.breakRate, LINE_CLASSES.POSITION, allowed);
    if (kind === InjectableBreak.QUANTITY) {
      const delta = signedDelta(random, new Dec(1 + Math.floor(random() * 9)));
      outPositions.push({ ...p, quantity: new Dec(p.quantity).plus(delta).toFixed() });
      injected.push({ breakClass: kind, breakKey: key, detail: `quantity off by ${delta.toFixed()}` });
    } else if (kind === InjectableBreak.MISSING_AT_CUSTODIAN) {
      injected.push({ breakClass: kind, breakKey: key, detail: `position of ${p.quantity} left out` });
    } else if (kind === InjectableBreak.DUPLICATE) {
      outPositions.push(p, { ...p });
      injected.push({ breakClass: kind, breakKey: `DUPLICATE|${key}`, detail: 'position line repeated' });
    } else {
      outPositions.push(p);
    }
  }

  const outCash: Cash[] = [];
  for (const c of cash.sort((a, b) => compareText(cashKey(a.account, a.currency), cashKey(b.account, b.currency)))) {
    const key = cashKey(c.account, c.currency);
    const kind = claimed.has(key) ? undefined : drawLineBreak(random, options.breakRate, LINE_CLASSES.CASH, allowed);
    if (kind === InjectableBreak.AMOUNT) {
      // 100..9999 minor units of a two-decimal currency; scaled so that JPY (0) and BHD (3) get the same size.
      const minor = new Dec(100 + Math.floor(random() * 9900)).dividedBy(100);
      const delta = signedDelta(random, minor.toDecimalPlaces(minorUnits(c.currency)));
      outCash.push({ ...c, amount: new Dec(c.amount).plus(delta).toFixed() });
      injected.push({ breakClass: kind, breakKey: key, detail: `amount off by ${delta.toFixed()}` });
    } else if (kind === InjectableBreak.MISSING_AT_CUSTODIAN) {
      injected.push({ breakClass: kind, breakKey: key, detail: `balance of ${c.amount} left out` });
    } else if (kind === InjectableBreak.DUPLICATE) {
      outCash.push(c, { ...c });
      injected.push({ breakClass: kind, breakKey: `DUPLICATE|${key}`, detail: 'cash line repeated' });
    } else {
      outCash.push(c);
    }
  }

  const statement = withContentId({ ...clean, positions: outPositions, cash: outCash });
  return { statement, injected: injected.sort((a, b) => compareText(a.breakKey, b.breakKey)) };
}

function drawLineBreak(
  random: () => number,
  rate: number,
  fitting: readonly InjectableBreak[],
  allowed: ReadonlySet<InjectableBreak>,
): InjectableBreak | undefined {
  // Both draws are taken for every line so that the classes allowed do not shift later lines' fate.
  const hit = random() < rate;
  const choice = random();
  const candidates = fitting.filter((c) => allowed.has(c));
  if (!hit || candidates.length === 0) return undefined;
  return candidates[Math.floor(choice * candidates.length)];
}

function signedDelta(random: () => number, size: Dec): Dec {
  return random() < 0.5 ? size.negated() : size;
}

/** Adds `delta` to the line of (account, other), creating it when absent and dropping it when it nets to zero. */
function adjust<T>(
  lines: T[],
  keyOf: (account: string, other: string) => string,
  account: string,
  other: string,
  delta: Dec,
  keyParts: (line: T) => [string, string],
  access: { make: (value: string) => T; get: (line: T) => string; set: (line: T, value: string) => T },
): void {
  const key = keyOf(account, other);
  const index = lines.findIndex((line) => keyOf(...keyParts(line)) === key);
  const current = index < 0 ? undefined : lines[index];
  const value = (current === undefined ? new Dec(0) : new Dec(access.get(current))).plus(delta);
  if (current === undefined) {
    lines.push(access.make(value.toFixed()));
  } else if (value.isZero()) {
    lines.splice(index, 1);
  } else {
    lines[index] = access.set(current, value.toFixed());
  }
}
