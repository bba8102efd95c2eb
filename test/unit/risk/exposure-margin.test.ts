/**
 * Exposure and margin of one account, computed by hand:
 *
 *   AAPL  long  100 @ 170.00 USD × 1     = 17,000.00   open cost 15,000   (TECH)      realized 300
 *   XOM   short  50 @ 110.00 USD × 1     = −5,500.00   open cost −6,000   (ENERGY)
 *   BP    long  400 @   5.00 GBP × 1.25  =  2,500.00   open cost  2,400   (ENERGY)
 *   SAP   long   10, no price            → unvalued
 *
 *   long 19,500, short 5,500, gross 25,000, net 14,000; AAPL 0.68, XOM 0.22, BP 0.1; TECH 0.68, ENERGY 0.32;
 *   unrealized 2,000 + 500 + 100 = 2,600; realized 300.
 *   initial 0.5 × 25,000 = 12,500; maintenance 0.25 × 17,000 + 0.3 × 5,500 + 0.25 × 2,500 = 6,525.
 */
import { Dec } from '../../../lib/domain/money';
import { RiskAlertKind, alertTransitions, riskBreaches, NO_LIMITS } from '../../../lib/domain/risk-alerts';
import { UNCLASSIFIED_SECTOR, accountExposure, type RiskPosition } from '../../../lib/domain/risk-exposure';
import { REG_T_FINRA_4210, accountMargin, marginRuleErrors, type MarginRuleSet } from '../../../lib/domain/risk-margin';

const d = (text: string): Dec => new Dec(text);

function position(
  isin: string,
  sector: string | undefined,
  quantity: string,
  price: string | undefined,
  fxRate: string | undefined,
  openCostBase: string,
  realizedBase = '0',
): RiskPosition {
  return {
    isin,
    sector,
    quantity: d(quantity),
    price: price === undefined ? undefined : d(price),
    fxRate: fxRate === undefined ? undefined : d(fxRate),
    openCostBase: d(openCostBase),
    realizedBase: d(realizedBase),
  };
}

const AAPL = 'US0378331005';
const XOM = 'US30231G1022';
const BP = 'GB0007980591';
const SAP = 'DE0007164600';

const book: RiskPosition[] = [
  position(XOM, 'ENERGY', '-50', '110.00', '1', '-6000'),
  position(AAPL, 'TECH', '100', '170.00', '1', '15000', '300'),
  position(BP, 'ENERGY', '400', '5.00', '1.25', '2400'),
  position(SAP, undefined, '10', undefined, '1.08', '1000'),
];

const defaults: MarginRuleSet = { default: REG_T_FINRA_4210, overrides: new Map() };

describe('accountExposure', () => {
  it('splits long and short market value, gross and net, in base currency', () => {
    const exposure = accountExposure(book);

    expect(exposure.longMarketValue.eq(19500)).toBe(true);
    expect(exposure.shortMarketValue.eq(5500)).toBe(true);
    expect(exposure.grossExposure.eq(25000)).toBe(true);
    expect(exposure.netExposure.eq(14000)).toBe(true);
    expect(exposure.unrealizedBase.eq(2600)).toBe(true);
    expect(exposure.realizedBase.eq(300)).toBe(true);
    expect(exposure.unvalued).toEqual([SAP]);
  });

  it('gives each instrument and sector its share of gross exposure', () => {
    const exposure = accountExposure(book);

    expect(exposure.instruments.map((l) => [l.isin, l.marketValue.toFixed(), l.concentration.toFixed()])).toEqual([
      [BP, '2500', '0.1'],
      [AAPL, '17000', '0.68'],
      [XOM, '-5500', '0.22'],
    ]);
    expect(exposure.sectors.map((s) => [s.sector, s.grossMarketValue.toFixed(), s.concentration.toFixed()])).toEqual([
      ['ENERGY', '8000', '0.32'],
      ['TECH', '17000', '0.68'],
    ]);
  });

  it('puts an instrument without a sector under UNCLASSIFIED and an empty book at zero', () => {
    const exposure = accountExposure([position(SAP, undefined, '10', '100', '1', '900')]);
    expect(exposure.sectors.map((s) => s.sector)).toEqual([UNCLASSIFIED_SECTOR]);

    const empty = accountExposure([]);
    expect(empty.grossExposure.isZero()).toBe(true);
    expect(empty.instruments).toEqual([]);
  });
});

describe('accountMargin', () => {
  const lines = accountExposure(book).instruments;

  it('applies Reg T initial and FINRA 4210 maintenance (25 % long, 30 % short)', () => {
    // equity = collateral 10,000 + realized 300 + unrealized 2,600
    const margin = accountMargin(lines, d('12900'), defaults);

    expect(margin.initialRequirement.eq(12500)).toBe(true);
    expect(margin.maintenanceRequirement.eq(6525)).toBe(true);
    expect(margin.excessOverInitial.eq(400)).toBe(true);
    expect(margin.excessOverMaintenance.eq(6375)).toBe(true);
    expect(margin.marginCall).toBe(false);
  });

  it('uses an instrument override in place of the default', () => {
    const rules: MarginRuleSet = {
      default: REG_T_FINRA_4210,
      overrides: new Map([[XOM, { ...REG_T_FINRA_4210, maintenanceShort: d('0.4') }]]),
    };
    // 4,250 + 0.4 × 5,500 + 625
    expect(accountMargin(lines, d('12900'), rules).maintenanceRequirement.eq(7075)).toBe(true);
  });

  it('is a margin call, with a deficit, when equity is below maintenance; exactly at it is not', () => {
    const call = accountMargin(lines, d('5900'), defaults);
    expect(call.marginCall).toBe(true);
    expect(call.excessOverMaintenance.eq(-625)).toBe(true);

    expect(accountMargin(lines, d('6525'), defaults).marginCall).toBe(false);
  });

  it('refuses rates outside [0, 1]', () => {
    expect(marginRuleErrors(REG_T_FINRA_4210)).toEqual([]);
    expect(marginRuleErrors({ ...REG_T_FINRA_4210, initialShort: d('1.5'), maintenanceLong: d('-0.1') })).toEqual([
      'maintenance long rate must be in [0, 1]',
      'initial short rate must be in [0, 1]',
    ]);
  });
});

describe('risk alerts', () => {
  const exposure = accountExposure(book);

  it('finds a margin call and every limit breached, not those exactly at their limit', () => {
    const margin = accountMargin(exposure.instruments, d('5900'), defaults);
    const breaches = riskBreaches(exposure, margin, {
      grossExposureLimit: d('25000'),
      netExposureLimit: d('13999.99'),
      instrumentConcentrationLimit: d('0.5'),
      sectorConcentrationLimit: d('0.3'),
    });

    expect(breaches.map((b) => [b.kind, b.subject, b.value.toFixed(), b.limit.toFixed()])).toEqual([
      [RiskAlertKind.MARGIN_CALL, '', '5900', '6525'],
      [RiskAlertKind.NET_EXPOSURE_LIMIT, '', '14000', '13999.99'],
      [RiskAlertKind.INSTRUMENT_CONCENTRATION, AAPL, '0.68', '0.5'],
      [RiskAlertKind.SECTOR_CONCENTRATION, 'ENERGY', '0.32', '0.3'],
      [RiskAlertKind.SECTOR_CONCENTRATION, 'TECH', '0.68', '0.3'],
    ]);
  });

  it('checks no limit that is not set', () => {
    const margin = accountMargin(exposure.instruments, d('12900'), defaults);
    expect(riskBreaches(exposure, margin, NO_LIMITS)).toEqual([]);
  });

  it('raises a breach once, keeps it while it lasts and clears it when it resolves', () => {
    const breach = { kind: RiskAlertKind.MARGIN_CALL, subject: '', value: d('1'), limit: d('2') };

    const first = alertTransitions([], [breach]);
    expect(first.raise).toEqual([breach]);
    expect(first.clear).toEqual([]);

    const again = alertTransitions([{ kind: RiskAlertKind.MARGIN_CALL, subject: '' }], [breach]);
    expect(again).toEqual({ raise: [], clear: [] });

    const resolved = alertTransitions([{ kind: RiskAlertKind.MARGIN_CALL, subject: '' }], []);
    expect(resolved).toEqual({ raise: [], clear: [{ kind: RiskAlertKind.MARGIN_CALL, subject: '' }] });
  });
});
