/**
 * The custodian simulator over simulated days: what it plans when told its business date (nothing reported
 * before the day a message arrives), and the differences that last over several statement dates until the
 * custodian catches up (lib/custodian/lasting-breaks.ts).
 */
import { CustodianSimulator } from '../../../lib/custodian/custodian';
import type { CustodianRates } from '../../../lib/custodian/decide';
import { LastingDifferences, type LastingBreak } from '../../../lib/custodian/lasting-breaks';
import { buildStatement, InjectableBreak } from '../../../lib/custodian/statement';
import { HolidayCalendar } from '../../../lib/domain/calendar';
import { Dec } from '../../../lib/domain/money';
import type { CustodyStatementV1 } from '../../../lib/kafka/schemas/custody-statement';
import type { NetInstructionMessageV1 } from '../../../lib/kafka/schemas/settlement-instruction';

const XNYS = new HolidayCalendar('XNYS', ['2024-05-27']);
const AAPL = 'US0378331005';
const MSFT = 'US5949181045';
const KO = 'US1912161007';
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
    grossInstructionIds: ['SI-1'],
    ...change,
  };
}

describe('the custodian on a business date', () => {
  const custodian = () =>
    new CustodianSimulator({ seed: 1, rates: ALL_SETTLE, calendarFor: () => XNYS, defaultBic: 'IRVTUS3N' });

  test('matches an instruction that arrives after its matching day on arrival, and settles it on its date', () => {
    // Arrange: settles Wednesday 2024-05-29, so it would match Tuesday 05-28; it arrives on Wednesday
    const simulator = custodian();

    // Act
    const onTime = simulator.receive(net({ instructionId: 'NI-A' }), '2024-05-28');
    const late = simulator.receive(net({ instructionId: 'NI-B' }), '2024-05-29');

    // Assert
    expect(onTime.send.map((r) => [r.state, r.statusDate])).toEqual([
      ['MATCHED', '2024-05-28'],
      ['SETTLED', '2024-05-29'],
    ]);
    expect(late.send.map((r) => [r.state, r.statusDate, r.effect?.settledOn])).toEqual([
      ['MATCHED', '2024-05-29', undefined],
      ['SETTLED', '2024-05-29', '2024-05-29'],
    ]);
  });

  test('confirms a cancellation the day it arrives, not the day before the settlement date', () => {
    // Arrange
    const simulator = custodian();
    simulator.receive(net({ settlementDate: '2024-05-31' }), '2024-05-28');

    // Act
    const reaction = simulator.receive(
      {
        schemaVersion: 1,
        kind: 'CANCELLATION',
        cancellationId: 'C-1',
        cancelsInstructionId: 'NI-1',
        cancels: 'NET',
        account: 'ACC-001',
        sendToCustodian: true,
        reason: 'TRADE_CANCELLED',
      },
      '2024-05-28',
    );

    // Assert
    expect(reaction.withdraw).toEqual(['NI-1']);
    expect(reaction.send.map((r) => [r.state, r.statusDate])).toEqual([['CANCELLED', '2024-05-28']]);
  });
});

describe('differences that last until the custodian catches up', () => {
  /** Two custodians' clean statements of a date: positions and cash of two accounts. */
  function cleanStatements(date: string, heldKo = false): CustodyStatementV1[] {
    const effect = (account: string, isin: string, quantity: number, cash: string) => ({
      instructionId: `NI-${account}-${isin}`,
      account,
      isin,
      currency: 'USD',
      obligation: 'SECURITIES' as const,
      signedQuantity: new Dec(quantity),
      signedCash: new Dec(cash),
      settledOn: '2024-05-23',
    });
    return [
      buildStatement({
        custodian: 'IRVTUS3N',
        statementDate: date,
        accounts: ['ACC-001'],
        effects: [
          effect('ACC-001', AAPL, 100, '-18999.05'),
          effect('ACC-001', MSFT, 40, '-16800.00'),
          ...(heldKo ? [effect('ACC-001', KO, 25, '-1500.00')] : []),
        ],
      }),
      buildStatement({
        custodian: 'CHASUS33',
        statementDate: date,
        accounts: ['ACC-002'],
        effects: [effect('ACC-002', AAPL, -70, '13299.30')],
      }),
    ];
  }
  const DATES = ['2024-05-23', '2024-05-24', '2024-05-27', '2024-05-28', '2024-05-29', '2024-05-30', '2024-05-31'];

  /** Runs the dates; per date the differences shown and those the custodian caught up with. */
  function run(options: ConstructorParameters<typeof LastingDifferences>[0], dates = DATES) {
    const lasting = new LastingDifferences(options);
    return dates.map((date) => ({ date, ...lasting.apply(date, cleanStatements(date), [AAPL, MSFT, KO]) }));
  }

  test('opens the asked number a date, shows each on 1 to maxDays statement dates, then clears it', () => {
    // Act
    const days = run({ seed: 12, perDay: 2, maxDays: 3 });

    // Assert: every difference opened is shown on consecutive statement dates for its days, then caught up
    const opened = new Map<string, LastingBreak>();
    const shownOn = new Map<string, string[]>();
    for (const day of days) {
      for (const d of day.shown) {
        const id = `${d.custodian}|${d.breakKey}|${d.openedOn}`;
        opened.set(id, d);
        shownOn.set(id, [...(shownOn.get(id) ?? []), day.date]);
      }
    }
    expect(days.map((d) => d.shown.filter((s) => s.openedOn === d.date).length)).toEqual(DATES.map(() => 2));
    for (const [id, d] of opened) {
      const dates = shownOn.get(id) ?? [];
      const start = DATES.indexOf(d.openedOn);
      expect(d.days).toBeGreaterThanOrEqual(1);
      expect(d.days).toBeLessThanOrEqual(3);
      expect(dates).toEqual(DATES.slice(start, Math.min(start + d.days, DATES.length)));
      const clearedOn = days.find((day) =>
        day.caughtUp.some((c) => `${c.custodian}|${c.breakKey}|${c.openedOn}` === id),
      );
      expect(clearedOn?.date).toBe(DATES[start + d.days]);
    }
    expect(new Set([...opened.values()].map((d) => d.days)).size).toBeGreaterThan(1);
    expect(new Set([...opened.values()].map((d) => d.breakClass)).size).toBe(4);
    expect(run({ seed: 12, perDay: 2, maxDays: 3 })).toEqual(days);
  });

  test.each([
    [InjectableBreak.QUANTITY, 'POSITION'],
    [InjectableBreak.AMOUNT, 'CASH'],
    [InjectableBreak.MISSING_AT_CUSTODIAN, undefined],
    [InjectableBreak.MISSING_INTERNAL, 'POSITION'],
  ] as const)('changes the statements as a %s difference says', (breakClass, scope) => {
    // Act
    const [first] = run({ seed: 3, perDay: 1, maxDays: 1, classes: [breakClass] }, ['2024-05-23']);

    // Assert: one difference, on the custodian's statement it names, and only there
    const [d] = first?.shown ?? [];
    if (first === undefined || d === undefined) throw new Error('nothing opened');
    if (scope !== undefined) expect(d.breakKey.startsWith(`${scope}|`)).toBe(true);
    const clean = cleanStatements('2024-05-23');
    const index = clean.findIndex((s) => s.custodian === d.custodian);
    const before = clean[index];
    const after = first.statements[index]?.statement;
    if (before === undefined || after === undefined) throw new Error('statement missing');
    expect(first.statements[index]?.injected.map((i) => [i.breakClass, i.breakKey])).toEqual([
      [breakClass, d.breakKey],
    ]);
    expect(after.statementId).not.toBe(before.statementId);
    expect(first.statements.filter((s, i) => i !== index).map((s) => s.statement)).toEqual(
      clean.filter((s, i) => i !== index),
    );
    const [lineScope, account, other] = d.breakKey.split('|');
    const value = (s: CustodyStatementV1) =>
      lineScope === 'POSITION'
        ? s.positions.find((p) => p.account === account && p.isin === other)?.quantity
        : s.cash.find((c) => c.account === account && c.currency === other)?.amount;
    if (breakClass === InjectableBreak.MISSING_AT_CUSTODIAN) expect(value(after)).toBeUndefined();
    if (breakClass === InjectableBreak.MISSING_INTERNAL) {
      expect(value(before)).toBeUndefined();
      expect(Number(value(after))).toBeGreaterThanOrEqual(10);
    }
    if (breakClass === InjectableBreak.QUANTITY || breakClass === InjectableBreak.AMOUNT) {
      const difference = new Dec(value(after) ?? 0).minus(value(before) ?? 0).abs();
      expect(difference.gte(breakClass === InjectableBreak.QUANTITY ? 1 : '1.00')).toBe(true);
      expect(difference.lte(breakClass === InjectableBreak.QUANTITY ? 9 : '99.99')).toBe(true);
    }
  });

  test('clears a holding the account never had once the account comes to hold it, and refuses going back', () => {
    // Arrange
    const lasting = new LastingDifferences({
      seed: 3,
      perDay: 1,
      maxDays: 3,
      classes: [InjectableBreak.MISSING_INTERNAL],
    });
    const first = lasting.apply('2024-05-23', cleanStatements('2024-05-23').slice(0, 1), [KO]);
    expect(first.shown.map((d) => d.breakKey)).toEqual(['POSITION|ACC-001|US1912161007']);

    // Act: ACC-001 now holds KO at the custodian (no other ISIN is known, so nothing new opens); one custodian only
    const second = lasting.apply('2024-05-24', cleanStatements('2024-05-24', true).slice(0, 1), [KO]);

    // Assert
    expect(second.caughtUp.map((d) => d.breakKey)).toEqual(['POSITION|ACC-001|US1912161007']);
    expect(second.statements.every((s) => s.injected.length === 0)).toBe(true);
    expect(lasting.apply('2024-05-24', cleanStatements('2024-05-24', true).slice(0, 1), [KO])).toEqual(second);
    expect(() => lasting.apply('2024-05-23', cleanStatements('2024-05-23').slice(0, 1), [KO])).toThrow(/must ascend/);
  });
});
