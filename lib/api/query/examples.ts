/**
 * Example responses for the OpenAPI document; a unit test parses each with its route's response schema, so an
 * example that stops matching the handlers' shape fails the build rather than misleading a reader.
 */
import type {
  AccountRiskDoc,
  BreakPage,
  DailyPnl,
  PositionPage,
  SettlementPage,
  TradeDetail,
  TradeDoc,
  TradePage,
} from './schemas';

const trade: TradeDoc = {
  tradeId: 'T-1001',
  execId: 'E-1001-1',
  version: 1,
  lifecycle: 'NEW',
  account: 'ACC-001',
  counterpartyLei: 'W22LROWP2IHZNBB6K528',
  isin: 'US0378331005',
  mic: 'XNYS',
  side: 'BUY',
  quantity: '100',
  price: '189.25',
  currency: 'USD',
  tradeDate: '2024-05-28',
  tradeTime: '2024-05-28T14:30:00.000Z',
  settlementDate: '2024-05-29',
  commission: '1.00',
  fees: '0.10',
  beneficialOwner: null,
};

export const tradeDetailExample: TradeDetail = {
  tradeId: 'T-1001',
  status: 'LIVE',
  currentVersion: 2,
  versions: [
    { ...trade, receivedAt: '2024-05-28T14:30:01.120000Z', bookedAt: '2024-05-28T14:30:01.250000Z' },
    {
      ...trade,
      execId: 'E-1001-2',
      version: 2,
      lifecycle: 'AMEND',
      quantity: '120',
      receivedAt: '2024-05-28T15:02:11.004000Z',
      bookedAt: '2024-05-28T15:02:11.090000Z',
    },
  ],
  pending: [],
  rejections: [
    {
      execId: 'E-1001-3',
      rejectedAt: '2024-05-28T15:10:00.000Z',
      reasons: [{ code: 'PRICE_OUT_OF_BAND', message: 'price 210.00 is 1096 bps from the reference 189.25' }],
    },
  ],
};

export const tradePageExample: TradePage = {
  items: [{ ...trade, status: 'LIVE' }],
  nextCursor: 'eyJmIjoiYWJjIiwiayI6WyIyMDI0LTA1LTI4IiwiVC0xMDAxIl19',
};

export const positionPageExample: PositionPage = {
  items: [
    {
      accountId: 'ACC-001',
      isin: 'US0378331005',
      costMethod: 'FIFO',
      currency: 'USD',
      baseCurrency: 'USD',
      quantity: '50',
      openCost: { local: '600.00', base: '600.00' },
      realized: { local: '350.00', base: '350.00' },
      fees: { local: '0.00', base: '0.00' },
      liveTrades: 3,
      lastTradeDate: '2024-05-28',
      reconciliation: {
        status: 'MATCHED',
        statementDate: '2024-05-29',
        breakClass: null,
        breakOpenedOn: null,
        breakAgeBusinessDays: null,
        breakAgeingBucket: null,
      },
    },
  ],
  nextCursor: null,
};

const figures = {
  realizedToday: '350.00',
  unrealizedChangeToday: '100.00',
  feesToday: '0.00',
  totalToday: '450.00',
  realizedSinceInception: '350.00',
  unrealizedAtPreviousClose: '0.00',
  unrealizedAtClose: '100.00',
};
const baseFigures = { ...figures, priceEffectToday: '100.00', fxEffectToday: '0.00' };

const reportHead: Omit<DailyPnl, 'nextCursor'> = {
  reportDate: '2024-05-28',
  previousReportDate: '2024-05-24',
  generatedAt: '2024-05-28T21:30:04.512000Z',
  lines: [
    {
      accountId: 'ACC-001',
      isin: 'US0378331005',
      costMethod: 'FIFO',
      currency: 'USD',
      baseCurrency: 'USD',
      openingQuantity: '0',
      closingQuantity: '50',
      tradeCount: 3,
      boughtQuantity: '200',
      soldQuantity: '150',
      closePrice: '14',
      closeFxRate: '1',
      local: figures,
      base: baseFigures,
    },
  ],
  accounts: [
    {
      accountId: 'ACC-001',
      baseCurrency: 'USD',
      lineCount: 1,
      ...baseFigures,
    },
  ],
};

export const dailyPnlExample: DailyPnl = { ...reportHead, nextCursor: null };

export const dailyReportExample = {
  ...reportHead,
  overall: reportHead.accounts.map(({ accountId: _accountId, ...totals }) => totals),
  issues: [],
  exceptions: [
    {
      execId: 'EX-20240528-0042-A',
      tradeId: 'TR-20240528-0042',
      accountId: 'ACC-001',
      lifecycle: 'AMEND',
      version: 2,
      tradeDate: '2024-05-28',
      code: 'TRADE_REJECTED',
      message:
        'not booked: the NEW of trade TR-20240528-0042 was rejected (WASH_TRADE), so its AMEND EX-20240528-0042-A (version 2) has no trade to apply to',
      rejectedAt: '2024-05-28T14:31:02.000Z',
    },
  ],
  history: [{ reportDate: '2024-05-28', baseCurrency: 'USD', totalToday: '450.00', cumulative: '450.00' }],
  risk: [
    {
      accountId: 'ACC-001',
      baseCurrency: 'USD',
      equity: '1250450.00',
      maintenanceRequirement: '175.00',
      excessOverMaintenance: '1250275.00',
      marginCall: false,
      valueAtRisk: '21.93',
      varIssue: null,
      openAlerts: 0,
    },
  ],
};

export const settlementPageExample: SettlementPage = {
  items: [
    {
      instructionId: 'SI-T-1001-1',
      tradeId: 'T-1001',
      tradeVersion: 1,
      accountId: 'ACC-001',
      isin: 'US0378331005',
      quantity: '100',
      movement: 'RECE',
      payment: 'APMT',
      settlementAmount: '18926.10',
      currency: 'USD',
      tradeDate: '2024-05-28',
      settlementDate: '2024-05-29',
      state: 'MATCHED',
      netInstructionId: 'NI-ACC-001-20240529-1',
      failedSince: null,
      reasonCode: null,
      exceptions: [],
    },
  ],
  nextCursor: null,
};

export const breakPageExample: BreakPage = {
  items: [
    {
      breakKey: 'POSITION:ACC-001:US0378331005',
      breakClass: 'QUANTITY',
      scope: 'POSITION',
      accountId: 'ACC-001',
      isin: 'US0378331005',
      currency: null,
      internalValue: '100',
      custodianValue: '90',
      difference: '10',
      openedOn: '2024-05-29',
      lastSeenOn: '2024-05-30',
      ageBusinessDays: 1,
      ageingBucket: '0-2',
      status: 'OPEN',
      resolvedOn: null,
    },
  ],
  nextCursor: null,
};

/** ACC-001 of the README's risk example: 10,000 AAPL at 170.00 against 300,000 of collateral, a margin call. */
export const accountRiskExample: AccountRiskDoc = {
  accountId: 'ACC-001',
  baseCurrency: 'USD',
  computedAt: '2024-07-01T20:15:00.000Z',
  pricesAsOf: '2024-07-01',
  longMarketValue: '1700000.00',
  shortMarketValue: '0.00',
  grossExposure: '1700000.00',
  netExposure: '1700000.00',
  equity: '300000.00',
  initialRequirement: '850000.00',
  maintenanceRequirement: '425000.00',
  excessOverInitial: '-550000.00',
  excessOverMaintenance: '-125000.00',
  marginCall: true,
  instruments: [
    {
      isin: 'US0378331005',
      sector: 'INFORMATION_TECHNOLOGY',
      marketValue: '1700000.00',
      concentrationPercent: '100.00',
    },
  ],
  sectors: [{ sector: 'INFORMATION_TECHNOLOGY', grossMarketValue: '1700000.00', concentrationPercent: '100.00' }],
  unvalued: [],
  valueAtRisk: { asOf: '2024-07-01', amount: '52311.87', scenarioDate: '2024-04-15', issue: null },
  openAlerts: [
    {
      alertId: '1',
      kind: 'MARGIN_CALL',
      subject: '',
      value: '300000',
      limit: '425000',
      raisedAt: '2024-07-01T20:15:00.000Z',
    },
  ],
};
