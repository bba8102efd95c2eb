import { HolidayCalendar } from '../../../lib/domain/calendar';
import {
  DEFAULT_SETTLEMENT_CYCLES,
  SettlementCycleRule,
  checkExplicitSettlementDate,
  resolveCycle,
  settlementDate,
} from '../../../lib/domain/settlement-date';
import { loadHolidayCalendars } from '../../../lib/refdata/holidays';

describe('resolveCycle', () => {
  it('gives US equities T+2 before 2024-05-28 and T+1 from that trade date', () => {
    expect(resolveCycle(DEFAULT_SETTLEMENT_CYCLES, 'US', 'EQUITY', '2024-05-24')?.days).toBe(2);
    expect(resolveCycle(DEFAULT_SETTLEMENT_CYCLES, 'US', 'EQUITY', '2024-05-28')?.days).toBe(1);
  });

  it('gives EU equities T+2 until 2027-10-08 and T+1 from 2027-10-11, UK T+2 in 2025', () => {
    expect(resolveCycle(DEFAULT_SETTLEMENT_CYCLES, 'EU', 'EQUITY', '2027-10-08')?.days).toBe(2);
    expect(resolveCycle(DEFAULT_SETTLEMENT_CYCLES, 'EU', 'EQUITY', '2027-10-11')?.days).toBe(1);
    expect(resolveCycle(DEFAULT_SETTLEMENT_CYCLES, 'UK', 'EQUITY', '2025-06-02')?.days).toBe(2);
  });

  it('returns undefined for an unknown market or a trade older than every rule', () => {
    expect(resolveCycle(DEFAULT_SETTLEMENT_CYCLES, 'JP', 'EQUITY', '2025-06-02')).toBeUndefined();
    expect(resolveCycle(DEFAULT_SETTLEMENT_CYCLES, 'US', 'BOND', '2025-06-02')).toBeUndefined();
    expect(resolveCycle(DEFAULT_SETTLEMENT_CYCLES, 'EU', 'EQUITY', '2014-10-03')).toBeUndefined();
  });

  it('does not depend on the order of the rule table', () => {
    const rules: SettlementCycleRule[] = [
      { market: 'XTST', instrumentType: 'EQUITY', effectiveFrom: '2025-01-01', days: 1 },
      { market: 'XTST', instrumentType: 'EQUITY', effectiveFrom: '2020-01-01', days: 3 },
      { market: 'XTST', instrumentType: 'EQUITY', effectiveFrom: '2023-01-01', days: 2 },
    ];
    expect(resolveCycle(rules, 'XTST', 'EQUITY', '2024-12-31')?.days).toBe(2);
    expect(resolveCycle(rules, 'XTST', 'EQUITY', '2025-01-01')?.days).toBe(1);
  });
});

describe('settlementDate', () => {
  const calendars = loadHolidayCalendars();
  const xnys = calendars.get('XNYS') ?? new HolidayCalendar('XNYS', []);

  it('settles a Friday 2024-05-24 T+2 and a Tuesday 2024-05-28 T+1 US trade both on Wednesday 2024-05-29', () => {
    const friday = resolveCycle(DEFAULT_SETTLEMENT_CYCLES, 'US', 'EQUITY', '2024-05-24');
    const tuesday = resolveCycle(DEFAULT_SETTLEMENT_CYCLES, 'US', 'EQUITY', '2024-05-28');

    expect(settlementDate('2024-05-24', friday?.days ?? -1, xnys)).toBe('2024-05-29');
    expect(settlementDate('2024-05-28', tuesday?.days ?? -1, xnys)).toBe('2024-05-29');
  });

  it('skips the settlement market holidays of XLON and XETR', () => {
    const xlon = calendars.get('XLON') ?? new HolidayCalendar('XLON', []);
    const xetr = calendars.get('XETR') ?? new HolidayCalendar('XETR', []);
    // Thu 2024-03-28 T+2: Good Friday and Easter Monday closed; Tue 04-02 is T+1, Wed 04-03 is T+2.
    expect(settlementDate('2024-03-28', 2, xlon)).toBe('2024-04-03');
    // Mon 2024-12-23 T+2 on Xetra: 24, 25, 26 closed; Fri 27 is T+1, Mon 30 is T+2.
    expect(settlementDate('2024-12-23', 2, xetr)).toBe('2024-12-30');
  });
});

describe('checkExplicitSettlementDate', () => {
  it('accepts a stated date equal to the cycle date', () => {
    expect(checkExplicitSettlementDate('2024-05-24', '2024-05-29', '2024-05-29')).toEqual({
      ok: true,
      value: '2024-05-29',
    });
  });

  it('rejects a stated date before the trade date', () => {
    const result = checkExplicitSettlementDate('2024-05-24', '2024-05-23', '2024-05-29');
    expect(result.ok === false && result.error.code).toBe('SETTLEMENT_BEFORE_TRADE');
  });

  it('rejects a stated date that disagrees with the cycle', () => {
    const result = checkExplicitSettlementDate('2024-05-24', '2024-05-28', '2024-05-29');
    expect(result.ok === false && result.error.code).toBe('SETTLEMENT_DATE_MISMATCH');
  });
});
