/**
 * The query API's request and response shapes, as zod schemas: the handlers validate query strings and path
 * parameters with them, and lib/api/query/openapi.ts turns the very same schemas into the OpenAPI document, so the
 * document cannot drift from what the handlers accept and return.
 *
 * Decimals travel as strings (exact, as stored in NUMERIC), never as JSON numbers.
 */
import { z } from 'zod';

import { isIsoDate } from '../../domain/calendar';
import { storableText } from '../../kafka/schemas/storable';

/** Largest page a caller may ask for; a policy choice that keeps one response well under Lambda's 6 MB. */
export const MAX_PAGE_LIMIT = 500;
export const DEFAULT_PAGE_LIMIT = 50;

const Decimal = z
  .string()
  .regex(/^-?\d+(\.\d+)?$/)
  .meta({ description: 'Exact decimal as a string', examples: ['170.25'] });
const IsoDate = z
  .string()
  // abort: a text that is not even shaped like a date gets one error, not a second "not a calendar date".
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected a date YYYY-MM-DD', abort: true })
  .refine(isIsoDate, 'not a calendar date')
  .meta({ format: 'date', examples: ['2024-05-28'] });
const Timestamp = z.string().meta({ format: 'date-time' });
const AccountId = storableText({ min: 1, max: 64 }).meta({ examples: ['ACC-001'] });
const Isin = z
  .string()
  .regex(/^[A-Z]{2}[A-Z0-9]{9}\d$/)
  .meta({ examples: ['US0378331005'] });

const Limit = z
  .string()
  .regex(/^\d+$/, 'expected a whole number')
  .transform(Number)
  .pipe(z.number().int().min(1).max(MAX_PAGE_LIMIT))
  .optional()
  .meta({ description: `Page size, 1 to ${MAX_PAGE_LIMIT} (default ${DEFAULT_PAGE_LIMIT})` });
const Cursor = z
  .string()
  .min(1)
  .max(512)
  .optional()
  .meta({ description: 'Opaque: the nextCursor of the previous page, with the same filters' });

export const TradeStatusParam = z.enum(['LIVE', 'CANCELLED']);
export const SettlementState = z.enum([
  'EXCEPTION',
  'INSTRUCTED',
  'MATCHED',
  'PARTIALLY_SETTLED',
  'SETTLED',
  'FAILED',
  'CANCELLED',
]);
export const BreakStatus = z.enum(['OPEN', 'RESOLVED']);

// ---------------------------------------------------------------------------------------------------------------
// Requests: path parameters and query strings (every value arrives as a string)
// ---------------------------------------------------------------------------------------------------------------

export const TradeIdPath = z.object({ id: storableText({ min: 1, max: 128 }) });
export const TradesQuery = z.object({
  account: AccountId.optional(),
  date: IsoDate.optional().meta({ description: 'Trade date' }),
  status: TradeStatusParam.optional(),
  limit: Limit,
  cursor: Cursor,
});
export const PositionsQuery = z.object({ account: AccountId.optional(), limit: Limit, cursor: Cursor });
export const DailyPnlQuery = z.object({ date: IsoDate, account: AccountId.optional(), limit: Limit, cursor: Cursor });
export const ReportPath = z.object({
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}(\.(json|csv|html))?$/, {
      message: 'expected YYYY-MM-DD, optionally with .json, .csv or .html',
      abort: true,
    })
    .refine((text) => isIsoDate(text.slice(0, 10)), 'not a calendar date')
    .meta({ examples: ['2024-05-28', '2024-05-28.csv'] }),
});
export const SettlementsQuery = z.object({
  status: SettlementState.optional(),
  account: AccountId.optional(),
  limit: Limit,
  cursor: Cursor,
});
export const BreaksQuery = z.object({
  status: BreakStatus.optional(),
  account: AccountId.optional(),
  limit: Limit,
  cursor: Cursor,
});
export const RiskQuery = z.object({ account: AccountId.meta({ description: 'The account (required)' }) });
export const NoQuery = z.object({});

// ---------------------------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------------------------

export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    /** On a 500 or 503: the id the error was logged under. */
    correlationId: z.string().optional(),
  }),
});

export const TradeDoc = z.object({
  tradeId: z.string(),
  execId: z.string(),
  version: z.number().int(),
  lifecycle: z.enum(['NEW', 'AMEND', 'CANCEL']),
  account: AccountId,
  counterpartyLei: z.string(),
  isin: Isin,
  mic: z.string(),
  side: z.enum(['BUY', 'SELL']),
  quantity: Decimal,
  price: Decimal,
  currency: z.string().length(3),
  tradeDate: IsoDate,
  tradeTime: Timestamp,
  settlementDate: IsoDate.nullable(),
  commission: Decimal,
  fees: Decimal,
  beneficialOwner: z.string().nullable(),
});

export const TradeSummary = TradeDoc.extend({ status: TradeStatusParam });

export const TradeVersionDoc = TradeDoc.extend({ receivedAt: Timestamp, bookedAt: Timestamp });

export const RejectionDoc = z.object({
  execId: z.string().nullable(),
  rejectedAt: Timestamp,
  reasons: z.array(z.object({ code: z.string(), message: z.string() })).min(1),
});

export const TradeDetail = z.object({
  tradeId: z.string(),
  /** Null while only held corrections or rejections are known. */
  status: TradeStatusParam.nullable(),
  currentVersion: z.number().int().nullable(),
  versions: z.array(TradeVersionDoc),
  pending: z.array(TradeDoc),
  rejections: z.array(RejectionDoc),
});

const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const TradePage = page(TradeSummary);

const LocalAndBase = z.object({ local: Decimal, base: Decimal });
export const PositionDoc = z.object({
  accountId: AccountId,
  isin: Isin,
  costMethod: z.string(),
  currency: z.string().length(3),
  baseCurrency: z.string().length(3),
  quantity: Decimal,
  openCost: LocalAndBase,
  realized: LocalAndBase,
  fees: LocalAndBase,
  liveTrades: z.number().int(),
  lastTradeDate: IsoDate,
  /** From the reconciliation stage (lib/recon/position-status.ts). */
  reconciliation: z.object({
    status: z.enum(['MATCHED', 'BREAK', 'NOT_RECONCILED']),
    statementDate: IsoDate.nullable(),
    breakClass: z.string().nullable(),
    breakOpenedOn: IsoDate.nullable(),
    breakAgeBusinessDays: z.number().int().nullable(),
    breakAgeingBucket: z.string().nullable(),
  }),
});
export const PositionPage = page(PositionDoc);

/** What each figure means: docs/daily-report.md (the same words). */
const FIGURE_MEANINGS = {
  realizedToday:
    "The day's: P&L realized by the day's trades (fees inside), and corrections booked since the previous report",
  unrealizedChangeToday:
    "The day's: unrealized at close − unrealized at the previous close (= totalToday − realizedToday)",
  feesToday: "The day's: commission and fees of the day's trades, already inside realized and cost",
  totalToday: "The day's P&L: realized today + the change in unrealized, computed exactly and rounded once",
  realizedSinceInception:
    'Cumulative: P&L realized by the position since inception (null on reports stored before it was kept)',
  unrealizedAtPreviousClose:
    "Cumulative: the open lots' unrealized P&L at the previous report date's close, as reported",
  unrealizedAtClose: "Cumulative: the open lots' unrealized P&L at this close, against their cost",
  priceEffectToday:
    "The day's, base currency: the part of the unrealized change due to prices, Σ q·(p1 − p0)·x0 (null before it was kept)",
  fxEffectToday:
    "The day's, base currency: the part of the unrealized change due to FX rates, Σ q·p1·(x1 − x0) (null before it was kept)",
} as const;
const figure = (name: keyof typeof FIGURE_MEANINGS) => Decimal.meta({ description: FIGURE_MEANINGS[name] });
const keptFigure = (name: keyof typeof FIGURE_MEANINGS) =>
  Decimal.nullable().meta({ description: FIGURE_MEANINGS[name] });

const Figures = z.object({
  realizedToday: figure('realizedToday'),
  unrealizedChangeToday: figure('unrealizedChangeToday'),
  feesToday: figure('feesToday'),
  totalToday: figure('totalToday'),
  realizedSinceInception: keptFigure('realizedSinceInception'),
  unrealizedAtPreviousClose: figure('unrealizedAtPreviousClose'),
  unrealizedAtClose: figure('unrealizedAtClose'),
});
const BaseFigures = Figures.extend({
  priceEffectToday: keptFigure('priceEffectToday'),
  fxEffectToday: keptFigure('fxEffectToday'),
});
export const ReportLine = z.object({
  accountId: AccountId,
  isin: Isin,
  costMethod: z.string(),
  currency: z.string(),
  baseCurrency: z.string(),
  openingQuantity: Decimal,
  closingQuantity: Decimal,
  tradeCount: z.number().int(),
  boughtQuantity: Decimal,
  soldQuantity: Decimal,
  closePrice: z.string(),
  closeFxRate: z.string(),
  local: Figures,
  base: BaseFigures,
});
/** Sums of the lines' base figures, under the same names. */
const Totals = BaseFigures.extend({
  baseCurrency: z.string(),
  lineCount: z.number().int(),
});
const AccountTotals = Totals.extend({ accountId: AccountId });

const ReportHead = z.object({
  reportDate: IsoDate,
  previousReportDate: IsoDate.nullable().meta({
    description:
      "The report date whose close this report's day starts from; null when there was none (the weekday before) or it is not known",
  }),
  generatedAt: Timestamp,
  lines: z.array(ReportLine),
  accounts: z.array(AccountTotals),
});

/** A page of a date's lines (by account and ISIN) with every readable account's totals. */
export const DailyPnl = ReportHead.extend({
  nextCursor: z.string().nullable().meta({ description: 'The next page of lines, or null after the last' }),
});

export const DailyReport = ReportHead.extend({
  overall: z.array(Totals),
  issues: z.array(z.object({ accountId: z.string(), isin: z.string(), code: z.string(), message: z.string() })),
  exceptions: z
    .array(
      z.object({
        execId: z.string(),
        tradeId: z.string(),
        accountId: AccountId,
        lifecycle: z.enum(['AMEND', 'CANCEL']),
        version: z.number().int(),
        tradeDate: IsoDate,
        code: z.enum(['TRADE_REJECTED', 'PENDING_EXPIRED']),
        message: z.string(),
        rejectedAt: z.string(),
      }),
    )
    .meta({
      description:
        'Amends and cancels of trades dated in the report’s day that could never be booked: their NEW was rejected, or did not arrive in time',
    }),
  history: z.array(
    z.object({
      reportDate: IsoDate,
      baseCurrency: z.string(),
      totalToday: figure('totalToday'),
      cumulative: Decimal.nullable().meta({
        description: 'Realized since inception + unrealized at close of that report (null before it was kept)',
      }),
    }),
  ),
  risk: z
    .array(
      z.object({
        accountId: AccountId,
        baseCurrency: z.string(),
        equity: Decimal,
        maintenanceRequirement: Decimal,
        excessOverMaintenance: Decimal.meta({ description: 'Equity − maintenance requirement; negative: a deficit' }),
        marginCall: z.boolean(),
        valueAtRisk: Decimal.nullable().meta({ description: 'One-day 99 % historical VaR; null: see varIssue' }),
        varIssue: z.string().nullable(),
        openAlerts: z.number().int().meta({ description: 'Risk alerts open when the report is read' }),
      }),
    )
    .meta({
      description: 'The end-of-day risk run of the report date, per account; empty until it has run',
    }),
});

export const SettlementDoc = z.object({
  instructionId: z.string(),
  tradeId: z.string(),
  tradeVersion: z.number().int(),
  accountId: AccountId,
  isin: Isin,
  quantity: Decimal,
  movement: z.enum(['RECE', 'DELI']),
  payment: z.enum(['APMT', 'FREE']),
  settlementAmount: Decimal.nullable(),
  currency: z.string().length(3),
  tradeDate: IsoDate,
  settlementDate: IsoDate,
  state: SettlementState,
  netInstructionId: z.string().nullable(),
  failedSince: IsoDate.nullable(),
  reasonCode: z.string().nullable(),
  exceptions: z.array(z.object({ reason: z.string(), detail: z.string().optional() })),
});
export const SettlementPage = page(SettlementDoc);

export const BreakDoc = z.object({
  breakKey: z.string(),
  breakClass: z.string(),
  scope: z.enum(['POSITION', 'CASH']),
  accountId: AccountId,
  isin: z.string().nullable(),
  currency: z.string().nullable(),
  internalValue: Decimal.nullable(),
  custodianValue: Decimal.nullable(),
  difference: Decimal,
  openedOn: IsoDate,
  lastSeenOn: IsoDate,
  ageBusinessDays: z.number().int(),
  ageingBucket: z.string(),
  status: BreakStatus,
  resolvedOn: IsoDate.nullable(),
});
export const BreakPage = page(BreakDoc);

/** The OpenAPI document itself is served as a plain JSON object. */
const BaseAmount = Decimal.meta({ description: "Rounded once, half-even, to the base currency's minor units" });
const RiskAlertKindParam = z.enum([
  'MARGIN_CALL',
  'GROSS_EXPOSURE_LIMIT',
  'NET_EXPOSURE_LIMIT',
  'INSTRUMENT_CONCENTRATION',
  'SECTOR_CONCENTRATION',
]);
/** An account's latest risk evaluation (risk_snapshots) with its end-of-day VaR and open alerts. */
export const AccountRiskDoc = z.object({
  accountId: AccountId,
  baseCurrency: z.string(),
  computedAt: Timestamp,
  /** The latest close any position was marked at. */
  pricesAsOf: IsoDate.nullable(),
  longMarketValue: BaseAmount,
  shortMarketValue: BaseAmount,
  grossExposure: BaseAmount,
  netExposure: BaseAmount,
  equity: BaseAmount,
  initialRequirement: BaseAmount,
  maintenanceRequirement: BaseAmount,
  excessOverInitial: BaseAmount,
  excessOverMaintenance: BaseAmount,
  marginCall: z.boolean(),
  instruments: z.array(
    z.object({ isin: Isin, sector: z.string(), marketValue: BaseAmount, concentrationPercent: Decimal }),
  ),
  sectors: z.array(z.object({ sector: z.string(), grossMarketValue: BaseAmount, concentrationPercent: Decimal })),
  /** Positions with no close or FX rate: in no figure above. */
  unvalued: z.array(Isin),
  /** The latest end-of-day run's one-day 99 % historical VaR; null before the first run. */
  valueAtRisk: z
    .object({
      asOf: IsoDate,
      amount: BaseAmount.nullable(),
      scenarioDate: IsoDate.nullable(),
      /** Why there is no amount (INSUFFICIENT_HISTORY, UNVALUED_POSITIONS: ...). */
      issue: z.string().nullable(),
    })
    .nullable(),
  openAlerts: z.array(
    z.object({
      alertId: z.string(),
      kind: RiskAlertKindParam,
      subject: z.string(),
      value: Decimal,
      limit: Decimal,
      raisedAt: Timestamp,
    }),
  ),
});

export const OpenApiDoc = z.object({ openapi: z.string() }).catchall(z.unknown());

export type TradeDoc = z.infer<typeof TradeDoc>;
export type TradeDetail = z.infer<typeof TradeDetail>;
export type TradePage = z.infer<typeof TradePage>;
export type PositionDoc = z.infer<typeof PositionDoc>;
export type PositionPage = z.infer<typeof PositionPage>;
export type DailyPnl = z.infer<typeof DailyPnl>;
export type SettlementDoc = z.infer<typeof SettlementDoc>;
export type SettlementPage = z.infer<typeof SettlementPage>;
export type BreakDoc = z.infer<typeof BreakDoc>;
export type BreakPage = z.infer<typeof BreakPage>;
export type AccountRiskDoc = z.infer<typeof AccountRiskDoc>;
