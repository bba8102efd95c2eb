/**
 * The custodian simulator's decisions: determinism per seed and instruction, rates, reason codes, dates on the
 * settlement market's calendar, partial settlement arithmetic, cancellations, statements built from what settled,
 * and injected breaks.
 */
import { CustodianSimulator } from '../../../lib/custodian/custodian';
import {
  CustodianOutcome,
  decideSettlement,
  toCustodianInstruction,
  type CustodianRates,
  type SettlementEffect,
} from '../../../lib/custodian/decide';
import { buildStatement, injectBreaks, InjectableBreak } from '../../../lib/custodian/statement';
import { HolidayCalendar } from '../../../lib/domain/calendar';
import { Dec } from '../../../lib/domain/money';
import type { NetInstructionMessageV1 } from '../../../lib/kafka/schemas/settlement-instruction';

const XNYS = new HolidayCalendar('XNYS', ['2024-05-27', '2024-06-19', '2024-07-04']);
const AAPL = 'US0378331005';
const MSFT = 'US5949181045';
const ALL_SETTLE: CustodianRates = { matchRate: 1, settleRate: 1, partialRate: 0, failRate: 0, recoverRate: 0 };

function net(change: Partial<NetInstructionMessageV1> = {}): NetInstructionMessageV1 {
  return {
    schemaVersion: 1,
    kind: 'NET',
    instructionId: 'NI-1',
    obligation: 'SECURITIES',
    account: 'ACC-001',
    counterpartyLei: 'W22LROWP2IHZNBB6K528',
    isin: AAPL,
    currency: 'USD',
    settlementDate: '2024-05-29',
    placeOfSettlement: 'DTCYUS33',
    movement: 'RECE',
    quantity: '120',
    payment: 'APMT',
    messageType: 'MT541',
    settlementAmount: '22774.55',
    creditDebit: 'DBIT',
    deliveringParty: { agentBic: 'CHASUS33', lei: 'W22LROWP2IHZNBB6K528' },
    receivingParty: { agentBic: 'IRVTUS3N', safekeepingAccount: 'IRVT-ACC-001-US' },
    grossInstructionIds: ['SI-1', 'SI-2'],
    ...change,
  };
}

function decide(change: Partial<NetInstructionMessageV1>, rates: CustodianRates, seed = 7) {
  return decideSettlement(toCustodianInstruction(net(change)), rates, seed, XNYS);
}

describe('decideSettlement', () => {
  test('is the same for the same seed and instruction whatever else was decided before, and differs by seed', () => {
    // Arrange
    const rates: CustodianRates = {
      matchRate: 0.7,
      settleRate: 0.4,
      partialRate: 0.3,
      failRate: 0.3,
      recoverRate: 0.5,
    };
    const ids = Array.from({ length: 50 }, (_, i) => `NI-${i}`);

    // Act
    const forwards = ids.map((id) => decide({ instructionId: id }, rates));
    const backwards = [...ids].reverse().map((id) => decide({ instructionId: id }, rates));
    const otherSeed = ids.map((id) => decide({ instructionId: id }, rates, 8));

    // Assert
    expect(backwards.reverse()).toEqual(forwards);
    expect(otherSeed.map((d) => d.outcome)).not.toEqual(forwards.map((d) => d.outcome));
  });

  test('settles in full: MATCHED the business day before (across Memorial Day), SETTLED on the settlement date', () => {
    // Act: settlement date Tue 2024-05-28, the business day before is Fri 2024-05-24
    const decision = decide({ settlementDate: '2024-05-28' }, ALL_SETTLE);

    // Assert
    expect(decision.outcome).toBe(CustodianOutcome.SETTLED);
    expect(
      decision.reports.map((r) => [r.state, r.statusDate, r.settledQuantity?.toFixed(), r.settledAmount?.toFixed()]),
    ).toEqual([
      ['MATCHED', '2024-05-24', undefined, undefined],
      ['SETTLED', '2024-05-28', '120', '22774.55'],
    ]);
    const effect = decision.reports[1]?.effect;
    expect([effect?.signedQuantity.toFixed(), effect?.signedCash.toFixed(), effect?.settledOn]).toEqual([
      '120',
      '-22774.55',
      '2024-05-28',
    ]);
  });

  test('follows the rates over many instructions (deterministic for the seed)', () => {
    // Arrange: 80% match; of the matched 50% settle, 20% partial, 20% fail, 10% stay pending; nothing recovers
    const rates: CustodianRates = { matchRate: 0.8, settleRate: 0.5, partialRate: 0.2, failRate: 0.2, recoverRate: 0 };

    // Act
    const outcomes = Array.from({ length: 2000 }, (_, i) => decide({ instructionId: `NI-${i}` }, rates).outcome);

    // Assert: expected counts 400 unmatched, 800 settled, 320 partial, 320 failed, 160 pending
    const count = (o: string) => outcomes.filter((x) => x === o).length;
    expect(count(CustodianOutcome.UNMATCHED)).toBeGreaterThan(340);
    expect(count(CustodianOutcome.UNMATCHED)).toBeLessThan(460);
    expect(count(CustodianOutcome.SETTLED)).toBeGreaterThan(720);
    expect(count(CustodianOutcome.SETTLED)).toBeLessThan(880);
    expect(count(CustodianOutcome.PARTIAL_THEN_SETTLED)).toBeGreaterThan(270);
    expect(count(CustodianOutcome.PARTIAL_THEN_SETTLED)).toBeLessThan(370);
    expect(count(CustodianOutcome.FAILED)).toBeGreaterThan(270);
    expect(count(CustodianOutcome.FAILED)).toBeLessThan(370);
    expect(count(CustodianOutcome.PENDING)).toBeGreaterThan(120);
    expect(count(CustodianOutcome.PENDING)).toBeLessThan(200);
    expect(count(CustodianOutcome.FAILED_THEN_SETTLED) + count(CustodianOutcome.UNMATCHED_THEN_SETTLED)).toBe(0);
  });

  test('fails a matched instruction with a lack-of-securities or lack-of-cash code that fits its direction', () => {
    // Arrange
    const rates: CustodianRates = { matchRate: 1, settleRate: 0, partialRate: 0, failRate: 1, recoverRate: 0 };
    const ids = Array.from({ length: 40 }, (_, i) => `NI-${i}`);

    // Act
    const deliverCodes = ids.map(
      (id) =>
        decide(
          {
            instructionId: id,
            movement: 'DELI',
            creditDebit: 'CRDT',
            deliveringParty: { agentBic: 'IRVTUS3N', safekeepingAccount: 'IRVT-ACC-001-US' },
            receivingParty: { agentBic: 'CHASUS33', lei: 'W22LROWP2IHZNBB6K528' },
          },
          rates,
        ).reports[1]?.reasonCode,
    );
    const receiveCodes = ids.map((id) => decide({ instructionId: id }, rates).reports[1]?.reasonCode);

    // Assert: we lack securities to deliver (LACK) or the counterparty lacks cash (CMON); paying: MONY or CLAC
    expect(new Set(deliverCodes)).toEqual(new Set(['LACK', 'CMON']));
    expect(new Set(receiveCodes)).toEqual(new Set(['MONY', 'CLAC']));
    expect(decide({ instructionId: 'NI-0' }, rates).reports.map((r) => [r.state, r.statusDate])).toEqual([
      ['MATCHED', '2024-05-28'],
      ['FAILED', '2024-05-29'],
    ]);
  });

  test('re-matches an unmatched instruction the next business day when it recovers (FAILED, MATCHED, SETTLED)', () => {
    // Arrange
    const rates: CustodianRates = { matchRate: 0, settleRate: 1, partialRate: 0, failRate: 0, recoverRate: 1 };

    // Act: settlement date Fri 2024-05-24; next business day Tue 2024-05-28
    const decision = decide({ settlementDate: '2024-05-24' }, rates);

    // Assert
    expect(decision.outcome).toBe(CustodianOutcome.UNMATCHED_THEN_SETTLED);
    expect(decision.reports.map((r) => [r.state, r.statusDate])).toEqual([
      ['FAILED', '2024-05-24'],
      ['MATCHED', '2024-05-28'],
      ['SETTLED', '2024-05-28'],
    ]);
    expect(['DEPT', 'ICAG']).toContain(decision.reports[0]?.reasonCode);
  });

  test('cannot match an instruction whose SSI names no safekeeping account, whatever the rates (ICAG)', () => {
    // Act
    const decision = decide({ receivingParty: { agentBic: 'IRVTUS3N' } }, { ...ALL_SETTLE, recoverRate: 1 });

    // Assert
    expect(decision.outcome).toBe(CustodianOutcome.UNMATCHED);
    expect(decision.reports.map((r) => [r.state, r.reasonCode])).toEqual([['FAILED', 'ICAG']]);
  });

  test('settles part in whole units with pro-rata cash rounded half-even, and the rest the next business day', () => {
    // Arrange
    const rates: CustodianRates = { matchRate: 1, settleRate: 0, partialRate: 1, failRate: 0, recoverRate: 0 };

    // Act
    const decision = decide({ quantity: '7', settlementAmount: '100.00' }, rates);

    // Assert
    expect(decision.outcome).toBe(CustodianOutcome.PARTIAL_THEN_SETTLED);
    const [, partial, rest] = decision.reports;
    const part = partial?.settledQuantity ?? new Dec(0);
    expect(part.isInteger() && part.gt(0) && part.lt(7)).toBe(true);
    // e.g. 3 of 7: 100.00 × 3 / 7 = 42.857… → 42.86
    expect(partial?.settledAmount?.toFixed()).toBe(new Dec(100).times(part).dividedBy(7).toDecimalPlaces(2).toFixed());
    expect([partial?.statusDate, rest?.state, rest?.statusDate, rest?.settledQuantity?.toFixed()]).toEqual([
      '2024-05-29',
      'SETTLED',
      '2024-05-30',
      '7',
    ]);
    const moved = [partial?.effect, rest?.effect].reduce(
      (sum, e) => ({ q: sum.q.plus(e?.signedQuantity ?? 0), c: sum.c.plus(e?.signedCash ?? 0) }),
      { q: new Dec(0), c: new Dec(0) },
    );
    expect([moved.q.toFixed(), moved.c.toFixed()]).toEqual(['7', '-100']);
  });

  test('settles a cash-only obligation all or nothing, without a quantity', () => {
    // Arrange
    const rates: CustodianRates = { matchRate: 1, settleRate: 0, partialRate: 1, failRate: 0, recoverRate: 0 };

    // Act
    const decision = decide(
      {
        obligation: 'CASH_ONLY',
        quantity: '0',
        creditDebit: 'CRDT',
        settlementAmount: '5.50',
        receivingParty: undefined,
        deliveringParty: undefined,
      },
      rates,
    );

    // Assert: no SSI check (no securities move), no partial
    expect(decision.outcome).toBe(CustodianOutcome.SETTLED);
    expect(decision.reports[1]?.settledQuantity).toBeUndefined();
    expect(decision.reports[1]?.effect?.signedCash.toFixed()).toBe('5.5');
  });
});

describe('CustodianSimulator', () => {
  function simulator() {
    return new CustodianSimulator({
      seed: 1,
      rates: ALL_SETTLE,
      calendarFor: () => XNYS,
      defaultBic: 'IRVTUS3N',
    });
  }

  test('plans reports for NET instructions only, once, and accepts a cancellation until something settled', () => {
    // Arrange
    const custodian = simulator();
    const gross = { ...net(), kind: 'GROSS' as const };

    // Act
    const ignored = custodian.receive(gross as unknown as NetInstructionMessageV1);
    const first = custodian.receive(net());
    const again = custodian.receive(net());
    const other = custodian.receive(net({ instructionId: 'NI-2' }));
    for (const report of other.send) custodian.markSent(report);
    const cancelFirst = custodian.receive({
      schemaVersion: 1,
      kind: 'CANCELLATION',
      cancellationId: 'C-1',
      cancelsInstructionId: 'NI-1',
      cancels: 'NET',
      account: 'ACC-001',
      sendToCustodian: true,
      reason: 'RENETTED',
    });
    const cancelSettled = custodian.receive({
      schemaVersion: 1,
      kind: 'CANCELLATION',
      cancellationId: 'C-2',
      cancelsInstructionId: 'NI-2',
      cancels: 'NET',
      account: 'ACC-001',
      sendToCustodian: true,
      reason: 'RENETTED',
    });

    // Assert
    expect(ignored.send).toEqual([]);
    expect(first.send.map((r) => r.state)).toEqual(['MATCHED', 'SETTLED']);
    expect(again.send).toEqual([]);
    expect(cancelFirst.withdraw).toEqual(['NI-1']);
    expect(cancelFirst.send.map((r) => [r.messageId, r.state, r.statusDate])).toEqual([
      ['NI-1:CANCELLED', 'CANCELLED', '2024-05-28'],
    ]);
    expect(cancelSettled.send).toEqual([]);
    expect(cancelSettled.note).toMatch(/refused/);
    const settled = first.send[1];
    if (settled === undefined) throw new Error('no SETTLED report planned');
    expect(custodian.statusMessage(settled, '2024-05-29T18:00:00.000Z')).toEqual({
      schemaVersion: 1,
      messageId: 'NI-1:SETTLED',
      instructionId: 'NI-1',
      account: 'ACC-001',
      state: 'SETTLED',
      statusDate: '2024-05-29',
      settledQuantity: '120',
      settledAmount: '22774.55',
      custodian: 'IRVTUS3N',
      sentAt: '2024-05-29T18:00:00.000Z',
    });
  });

  test('states only what was sent, per BIC, and offers a matched unsettled instruction for a TIMING break', () => {
    // Arrange: NI-1 settled and sent; NI-2 stays matched (pending), due the statement date
    const custodian = new CustodianSimulator({
      seed: 1,
      rates: { ...ALL_SETTLE, settleRate: 0 },
      calendarFor: () => XNYS,
      defaultBic: 'IRVTUS3N',
    });
    const settling = new CustodianSimulator({ seed: 1, rates: ALL_SETTLE, calendarFor: () => XNYS, defaultBic: 'X' });
    for (const r of settling.receive(net()).send) settling.markSent(r);
    for (const r of custodian.receive(net({ instructionId: 'NI-2', quantity: '10' })).send) custodian.markSent(r);

    // Act
    const [clean] = settling.statements('2024-05-29');
    const [timed] = custodian.statements('2024-05-29', { seed: 3, breakRate: 1, classes: [InjectableBreak.TIMING] });

    // Assert
    expect(clean?.statement.positions).toEqual([{ account: 'ACC-001', isin: AAPL, quantity: '120' }]);
    expect(clean?.statement.custodian).toBe('IRVTUS3N');
    expect(timed?.injected.map((b) => [b.breakClass, b.breakKey])).toEqual([
      ['TIMING', 'CASH|ACC-001|USD'],
      ['TIMING', `POSITION|ACC-001|${AAPL}`],
    ]);
    expect(timed?.statement.positions).toEqual([{ account: 'ACC-001', isin: AAPL, quantity: '10' }]);
  });
});

describe('custodian statements', () => {
  const effect = (change: Partial<SettlementEffect>): SettlementEffect => ({
    instructionId: 'NI-1',
    account: 'ACC-001',
    isin: AAPL,
    currency: 'USD',
    obligation: 'SECURITIES',
    signedQuantity: new Dec(100),
    signedCash: new Dec('-18999.05'),
    settledOn: '2024-05-29',
    ...change,
  });
  const books = {
    custodian: 'IRVTUS3N',
    statementDate: '2024-05-30',
    accounts: ['ACC-002', 'ACC-001'],
    effects: [
      effect({}),
      effect({ instructionId: 'NI-2', signedQuantity: new Dec(-30), signedCash: new Dec('5729.50') }),
      effect({ instructionId: 'NI-3', isin: MSFT, signedQuantity: new Dec(10), signedCash: new Dec('-4200') }),
      effect({ instructionId: 'NI-4', account: 'ACC-002', settledOn: '2024-05-31' }),
      effect({ instructionId: 'NI-5', obligation: 'CASH_ONLY', signedQuantity: new Dec(0), signedCash: new Dec('1') }),
    ],
  };

  test('sums what settled up to the statement date per key: positions for securities, cash for all', () => {
    // Act
    const statement = buildStatement(books);

    // Assert: AAPL 100 - 30 = 70; cash -18999.05 + 5729.50 - 4200 + 1 = -17468.55; ACC-002's settles after
    expect(statement.positions).toEqual([
      { account: 'ACC-001', isin: AAPL, quantity: '70' },
      { account: 'ACC-001', isin: MSFT, quantity: '10' },
    ]);
    expect(statement.cash).toEqual([{ account: 'ACC-001', currency: 'USD', amount: '-17468.55' }]);
    expect(statement.accounts).toEqual(['ACC-001', 'ACC-002']);
    expect(statement.statementId).toMatch(/^IRVTUS3N-2024-05-30-[0-9a-f]{8}$/);
    expect(buildStatement(books).statementId).toBe(statement.statementId);
  });

  test.each([
    [InjectableBreak.QUANTITY, ['QUANTITY', 'QUANTITY']],
    [InjectableBreak.AMOUNT, ['AMOUNT']],
    [InjectableBreak.MISSING_AT_CUSTODIAN, ['MISSING_AT_CUSTODIAN', 'MISSING_AT_CUSTODIAN', 'MISSING_AT_CUSTODIAN']],
    [InjectableBreak.DUPLICATE, ['DUPLICATE', 'DUPLICATE', 'DUPLICATE']],
  ])('injects %s breaks into every line at rate 1 and says where', (breakClass, expected) => {
    // Arrange
    const clean = buildStatement(books);

    // Act
    const { statement, injected } = injectBreaks(clean, { seed: 5, breakRate: 1, classes: [breakClass] });

    // Assert
    expect(injected.map((b) => b.breakClass)).toEqual(expected);
    expect(statement.statementId).not.toBe(clean.statementId);
    const lines = statement.positions.length + statement.cash.length;
    const cleanLines = clean.positions.length + clean.cash.length;
    if (breakClass === InjectableBreak.DUPLICATE) expect(lines).toBe(cleanLines * 2);
    if (breakClass === InjectableBreak.MISSING_AT_CUSTODIAN) expect(lines).toBe(0);
    if (breakClass === InjectableBreak.QUANTITY) {
      const changed = statement.positions.map((p, i) => new Dec(p.quantity).minus(clean.positions[i]?.quantity ?? 0));
      expect(changed.every((d) => d.abs().gte(1) && d.abs().lte(9))).toBe(true);
    }
    if (breakClass === InjectableBreak.AMOUNT) {
      const difference = new Dec(statement.cash[0]?.amount ?? 0).minus(clean.cash[0]?.amount ?? 0).abs();
      expect(difference.gte(1) && difference.lte('99.99')).toBe(true);
    }
  });

  test('reports a holding of a known ISIN the account does not hold as MISSING_INTERNAL', () => {
    // Act
    const { statement, injected } = injectBreaks(buildStatement(books), {
      seed: 5,
      breakRate: 1,
      classes: [InjectableBreak.MISSING_INTERNAL],
      knownIsins: [MSFT, AAPL, 'GB0005405286'],
    });

    // Assert
    expect(injected.map((b) => [b.breakClass, b.breakKey])).toEqual([
      ['MISSING_INTERNAL', 'POSITION|ACC-001|GB0005405286'],
    ]);
    expect(statement.positions.map((p) => p.isin)).toEqual(['GB0005405286', AAPL, MSFT]);
  });

  test('injects nothing at rate 0: the statement and its id stay the same', () => {
    // Arrange
    const clean = buildStatement(books);

    // Act
    const { statement, injected } = injectBreaks(clean, { seed: 5, breakRate: 0 });

    // Assert
    expect(injected).toEqual([]);
    expect(statement).toEqual(clean);
  });
});
