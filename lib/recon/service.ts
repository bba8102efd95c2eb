/**
 * Reconciliation of custodian statements (`custody.statements`, or a statement file) against our settled books:
 * internal positions and cash are what our net instructions had settled (in full, or the part settled) by the
 * statement date, rebuilt from the status history when later reports have moved them on since; instructions not
 * settled in full by then are in flight and may explain a difference as TIMING. The domain's `reconcile` decides; this module loads, stores and publishes.
 *
 * One transaction per batch; a statement already received (its id) is skipped, so a redelivery changes nothing.
 */
import type { Pool, PoolClient } from 'pg';

import { HolidayCalendar } from '../domain/calendar';
import { Dec, MINOR_UNITS, UnknownCurrencyError } from '../domain/money';
import {
  CustodianStatement,
  InFlightSettlement,
  InternalBooks,
  InternalCashBalance,
  InternalPosition,
  reconcile,
  ReconciliationBreak,
  ReconciliationTolerances,
} from '../domain/reconciliation';
import { withTransaction } from '../db/pool';
import type { EventPublisher } from '../kafka/producer';
import type { CustodyStatementV1 } from '../kafka/schemas/custody-statement';
import type { ReconBreakEventV1 } from '../kafka/schemas/recon-break';
import { Topics } from '../kafka/topics';
import { OutboxMessage, publishOutbox, writeOutbox } from '../settlement/outbox';
import { traceHeaders, type TraceContext } from '../observability/correlation';

export interface ReconSummary {
  readonly statements: number;
  readonly skippedAsSeen: number;
  readonly opened: number;
  readonly aged: number;
  readonly resolved: number;
}

function toDomainStatement(s: CustodyStatementV1): CustodianStatement {
  return {
    statementId: s.statementId,
    statementDate: s.statementDate,
    accounts: s.accounts,
    positions: s.positions.map((p) => ({ account: p.account, isin: p.isin, quantity: new Dec(p.quantity) })),
    cash: s.cash.map((c) => ({ account: c.account, currency: c.currency, amount: new Dec(c.amount) })),
    cashPostings: s.cashPostings.map((p) => ({ ...p, amount: new Dec(p.amount) })),
  };
}

async function tolerancesOf(
  client: PoolClient,
  custodian: string,
): Promise<{ tolerances: ReconciliationTolerances; calendar: HolidayCalendar }> {
  const { rows } = await client.query<{
    quantity_absolute: string;
    amount_absolute: string;
    timing_window_business_days: number;
    calendar_mic: string;
  }>(
    `SELECT quantity_absolute, amount_absolute, timing_window_business_days, calendar_mic FROM recon_tolerances
     WHERE custodian IN ($1, '*') ORDER BY custodian = '*' LIMIT 1`,
    [custodian],
  );
  const row = rows[0];
  if (row === undefined) throw new Error(`no reconciliation tolerances for ${custodian} and no default row '*'`);
  const { rows: perCurrency } = await client.query<{ currency: string; amount_absolute: string }>(
    `SELECT DISTINCT ON (currency) currency, amount_absolute FROM recon_currency_tolerances
     WHERE custodian IN ($1, '*') ORDER BY currency, custodian = '*'`,
    [custodian],
  );
  const { rows: holidays } = await client.query<{ d: string }>(
    `SELECT to_char(date, 'YYYY-MM-DD') AS d FROM holidays WHERE mic = $1`,
    [row.calendar_mic],
  );
  return {
    tolerances: {
      quantityAbsolute: new Dec(row.quantity_absolute),
      amountAbsolute: new Dec(row.amount_absolute),
      amountAbsoluteByCurrency: Object.fromEntries(perCurrency.map((c) => [c.currency, new Dec(c.amount_absolute)])),
      timingWindowBusinessDays: row.timing_window_business_days,
    },
    calendar: new HolidayCalendar(
      row.calendar_mic,
      holidays.map((h) => h.d),
    ),
  };
}

/**
 * Our settled books of `accounts` at the close of `asOf`, rebuilt point in time in one query, so that a statement
 * reconciled after later status reports (say the remainder of a partial settlement settled the next day) is
 * compared with what had settled by its own date, not with what has settled since.
 *
 * An instruction whose latest applied report is dated on or before `asOf` is taken as it stands (its settled
 * cash keeps a custodian-reported amount). One reported later is rebuilt from its status history: settled in full
 * if a SETTLED report is dated on or before `asOf`, else the largest cumulative partial quantity reported by then.
 * Late (STALE) reports count too: a partial dated D that arrived after D+1's SETTLED still happened on D. The
 * history does not keep a partial's reported cash amount, so such a rebuilt partial's cash is the pro-rata share
 * rounded half-even to the currency's minor units, as the status handler computes it when no amount is reported.
 * Whatever had not settled in full by `asOf` is in flight for its remainder.
 *
 * With `custodian`, the books are those held at that custodian: the instructions whose own agent (our side's
 * agent BIC in their gross instructions, from our SSIs) it is. An account that settles US equities with one
 * custodian and German ones with another is compared with each custodian's statement for what that custodian
 * holds, not for the other's holdings (which it cannot know). A statement from a custodian that is no own agent
 * in our SSIs (a file from elsewhere) is compared with the accounts' whole books.
 */
export async function internalBooks(
  client: PoolClient,
  accounts: readonly string[],
  asOf: string,
  custodian?: string,
): Promise<InternalBooks> {
  const currencies = Object.keys(MINOR_UNITS);
  const { rows } = await client.query<{
    part: 'POSITION' | 'CASH' | 'IN_FLIGHT';
    instruction_id: string | null;
    account_id: string;
    isin: string | null;
    currency: string | null;
    quantity: string | null;
    cash: string | null;
    settlement_date: string | null;
  }>(
    `WITH live AS (
       SELECT n.net_instruction_id, n.kind, n.account_id, n.isin, n.currency, n.settlement_date, n.net_quantity,
              n.net_cash, n.quantity, n.state, n.settled_quantity, n.settled_cash,
              CASE WHEN n.net_quantity < 0 THEN -1 ELSE 1 END AS sign,
              n.state IN ('PARTIALLY_SETTLED', 'SETTLED') AND n.status_date > $2::date AS rebuilt
       FROM net_instructions n
       WHERE n.account_id = ANY($1::text[])
         AND n.state IN ('INSTRUCTED', 'MATCHED', 'FAILED', 'PARTIALLY_SETTLED', 'SETTLED')
         AND ($5::text IS NULL OR NOT EXISTS (SELECT 1 FROM ssis WHERE own_agent_bic = $5)
              OR EXISTS (SELECT 1 FROM net_instruction_links l
                         JOIN settlement_instructions g ON g.instruction_id = l.instruction_id
                         WHERE l.net_instruction_id = n.net_instruction_id
                           AND (CASE g.movement WHEN 'RECE' THEN g.receiving_party ELSE g.delivering_party END)
                               ->>'agentBic' = $5))
     ),
     reported AS (
       SELECT h.instruction_id, bool_or(h.reported_state = 'SETTLED') AS settled,
              max(h.settled_quantity) FILTER (WHERE h.reported_state = 'PARTIALLY_SETTLED') AS partial
       FROM settlement_status_history h
       WHERE h.instruction_id IN (SELECT net_instruction_id FROM live WHERE rebuilt)
         AND h.outcome IN ('APPLIED', 'STALE') AND h.reported_state IN ('PARTIALLY_SETTLED', 'SETTLED')
         AND h.status_date <= $2::date
       GROUP BY h.instruction_id
     ),
     progress AS (
       SELECT live.*,
              CASE WHEN NOT rebuilt THEN state = 'SETTLED'
                   ELSE coalesce(r.settled, false) OR (quantity > 0 AND coalesce(r.partial, 0) >= quantity) END
                AS in_full,
              CASE WHEN NOT rebuilt THEN CASE WHEN state IN ('PARTIALLY_SETTLED', 'SETTLED') THEN settled_quantity
                                              ELSE 0 END
                   WHEN coalesce(r.settled, false) THEN quantity
                   ELSE least(quantity, coalesce(r.partial, 0)) END AS quantity_by_then,
              mu.places
       FROM live LEFT JOIN reported r ON r.instruction_id = live.net_instruction_id
       LEFT JOIN unnest($3::text[], $4::int[]) AS mu(currency, places) ON mu.currency = live.currency
     ),
     as_of AS (
       SELECT progress.*,
              CASE WHEN NOT rebuilt THEN CASE WHEN state IN ('PARTIALLY_SETTLED', 'SETTLED') THEN settled_cash
                                              ELSE 0 END
                   WHEN in_full THEN net_cash
                   WHEN quantity_by_then = 0 OR quantity = 0 THEN 0
                   ELSE round_half_even(net_cash * quantity_by_then / quantity, places) END AS cash_by_then
       FROM progress
     )
     SELECT 'POSITION' AS part, NULL AS instruction_id, account_id, isin, NULL AS currency,
            sum(sign * quantity_by_then)::text AS quantity, NULL AS cash, NULL AS settlement_date
     FROM as_of WHERE kind = 'SECURITIES' GROUP BY account_id, isin HAVING sum(sign * quantity_by_then) <> 0
     UNION ALL
     SELECT 'CASH', NULL, account_id, NULL, currency, NULL,
            -- NULL when a pro-rata share had no minor units to round to: refused below rather than summed away.
            CASE WHEN bool_and(cash_by_then IS NOT NULL) THEN sum(cash_by_then)::text END, NULL
     FROM as_of GROUP BY account_id, currency HAVING sum(cash_by_then) <> 0 OR bool_or(cash_by_then IS NULL)
     UNION ALL
     SELECT 'IN_FLIGHT', net_instruction_id, account_id, isin, currency,
            (net_quantity - sign * quantity_by_then)::text, (net_cash - cash_by_then)::text,
            to_char(settlement_date, 'YYYY-MM-DD')
     FROM as_of WHERE NOT in_full
     ORDER BY 1, 3, 4, 5, 2`,
    [accounts, asOf, currencies, currencies.map((c) => MINOR_UNITS[c]), custodian ?? null],
  );
  const positions: InternalPosition[] = [];
  const cash: InternalCashBalance[] = [];
  const inFlight: InFlightSettlement[] = [];
  for (const r of rows) {
    if (r.part === 'POSITION') {
      positions.push({ account: r.account_id, isin: r.isin ?? '', quantity: new Dec(r.quantity ?? '0') });
    } else if (r.part === 'CASH') {
      if (r.cash === null) throw new UnknownCurrencyError(r.currency ?? '');
      cash.push({ account: r.account_id, currency: r.currency ?? '', amount: new Dec(r.cash) });
    } else {
      if (r.cash === null) throw new UnknownCurrencyError(r.currency ?? '');
      inFlight.push({
        instructionId: r.instruction_id ?? '',
        account: r.account_id,
        isin: r.isin ?? '',
        currency: r.currency ?? '',
        signedQuantity: new Dec(r.quantity ?? '0'),
        signedCash: new Dec(r.cash),
        settlementDate: r.settlement_date ?? '',
        settledInternally: false,
      });
    }
  }
  return { positions, cash, inFlight, bookedPostingReferences: [] };
}

interface BreakRow {
  break_key: string;
  break_class: string;
  scope: 'POSITION' | 'CASH';
  account_id: string;
  isin: string | null;
  currency: string | null;
  internal_value: string | null;
  custodian_value: string | null;
  difference: string;
  explained_by: string[];
  opened_on: string;
  last_seen_statement_id: string;
  last_seen_on: string;
  age_business_days: number;
  ageing_bucket: string;
}

function toBreak(r: BreakRow): ReconciliationBreak {
  return {
    breakKey: r.break_key,
    breakClass: r.break_class as ReconciliationBreak['breakClass'],
    subject:
      r.scope === 'POSITION'
        ? { scope: 'POSITION', account: r.account_id, isin: r.isin ?? '' }
        : { scope: 'CASH', account: r.account_id, currency: r.currency ?? '' },
    ...(r.internal_value === null ? {} : { internalValue: new Dec(r.internal_value) }),
    ...(r.custodian_value === null ? {} : { custodianValue: new Dec(r.custodian_value) }),
    difference: new Dec(r.difference),
    explainedBy: r.explained_by,
    openedOn: r.opened_on,
    lastSeenStatementId: r.last_seen_statement_id,
    lastSeenOn: r.last_seen_on,
    ageBusinessDays: r.age_business_days,
    ageingBucket: r.ageing_bucket,
  };
}

function breakEvent(event: ReconBreakEventV1['event'], statementId: string, b: ReconciliationBreak): ReconBreakEventV1 {
  return {
    schemaVersion: 1,
    event,
    statementId,
    breakKey: b.breakKey,
    breakClass: b.breakClass,
    scope: b.subject.scope,
    account: b.subject.account,
    ...(b.subject.scope === 'POSITION' ? { isin: b.subject.isin } : { currency: b.subject.currency }),
    ...(b.internalValue === undefined ? {} : { internalValue: b.internalValue.toFixed() }),
    ...(b.custodianValue === undefined ? {} : { custodianValue: b.custodianValue.toFixed() }),
    difference: b.difference.toFixed(),
    explainedBy: [...b.explainedBy],
    openedOn: b.openedOn,
    lastSeenOn: b.lastSeenOn,
    ageBusinessDays: b.ageBusinessDays,
    ageingBucket: b.ageingBucket,
  };
}

async function reconcileOne(
  client: PoolClient,
  statement: CustodyStatementV1,
  origin: 'TOPIC' | 'FILE',
  trace: TraceContext,
): Promise<{ seen: boolean; opened: number; aged: number; resolved: number }> {
  const { rowCount } = await client.query(
    `INSERT INTO custody_statements (statement_id, custodian, statement_date, accounts, statement, origin)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
    [statement.statementId, statement.custodian, statement.statementDate, statement.accounts, statement, origin],
  );
  if (rowCount === 0) return { seen: true, opened: 0, aged: 0, resolved: 0 };
  const { tolerances, calendar } = await tolerancesOf(client, statement.custodian);
  const books = await internalBooks(client, statement.accounts, statement.statementDate, statement.custodian);
  // The open breaks this statement can find again or resolve: those of its accounts last seen on a statement of
  // the same custodian (another custodian's statement says nothing about what this one holds).
  const { rows: open } = await client.query<BreakRow>(
    `SELECT b.break_key, b.break_class, b.scope, b.account_id, b.isin, b.currency, b.internal_value, b.custodian_value,
            b.difference, b.explained_by, to_char(b.opened_on, 'YYYY-MM-DD') AS opened_on, b.last_seen_statement_id,
            to_char(b.last_seen_on, 'YYYY-MM-DD') AS last_seen_on, b.age_business_days, b.ageing_bucket
     FROM recon_breaks b
     WHERE b.status = 'OPEN' AND b.account_id = ANY($1::text[])
       AND EXISTS (SELECT 1 FROM custody_statements c
                   WHERE c.statement_id = b.last_seen_statement_id AND c.custodian = $2)
     FOR UPDATE OF b`,
    [statement.accounts, statement.custodian],
  );
  const openBreaks = open.map(toBreak);
  const result = reconcile(
    books,
    toDomainStatement(statement),
    openBreaks,
    tolerances,
    calendar,
    statement.statementDate,
  );
  const current = [...result.newBreaks, ...result.stillOpen];
  const col = <T>(f: (b: ReconciliationBreak) => T) => current.map(f);
  await client.query(
    `INSERT INTO recon_breaks (break_key, break_class, scope, account_id, isin, currency, internal_value,
       custodian_value, difference, explained_by, opened_on, last_seen_statement_id, last_seen_on, age_business_days,
       ageing_bucket, status)
     SELECT *, 'OPEN' FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bpchar[], $6::bpchar[],
       $7::numeric[], $8::numeric[], $9::numeric[], $10::jsonb[], $11::date[], $12::text[], $13::date[], $14::int[],
       $15::text[])
     ON CONFLICT (break_key) DO UPDATE SET break_class = excluded.break_class, internal_value = excluded.internal_value,
       custodian_value = excluded.custodian_value, difference = excluded.difference,
       explained_by = excluded.explained_by, opened_on = excluded.opened_on,
       last_seen_statement_id = excluded.last_seen_statement_id, last_seen_on = excluded.last_seen_on,
       age_business_days = excluded.age_business_days, ageing_bucket = excluded.ageing_bucket, status = 'OPEN',
       resolved_on = NULL, resolved_by_statement_id = NULL, updated_at = now()`,
    [
      col((b) => b.breakKey),
      col((b) => b.breakClass),
      col((b) => b.subject.scope),
      col((b) => b.subject.account),
      col((b) => (b.subject.scope === 'POSITION' ? b.subject.isin : null)),
      col((b) => (b.subject.scope === 'CASH' ? b.subject.currency : null)),
      col((b) => b.internalValue?.toFixed() ?? null),
      col((b) => b.custodianValue?.toFixed() ?? null),
      col((b) => b.difference.toFixed()),
      col((b) => JSON.stringify(b.explainedBy)),
      col((b) => b.openedOn),
      col((b) => b.lastSeenStatementId),
      col((b) => b.lastSeenOn),
      col((b) => b.ageBusinessDays),
      col((b) => b.ageingBucket),
    ],
  );
  await client.query(
    `UPDATE recon_breaks SET status = 'RESOLVED', resolved_on = $2, resolved_by_statement_id = $3, updated_at = now()
     WHERE break_key = ANY($1::text[])`,
    [result.resolvedBreakKeys, statement.statementDate, statement.statementId],
  );
  const byKey = new Map(openBreaks.map((b) => [b.breakKey, b]));
  const events = [
    ...result.newBreaks.map((b) => breakEvent('OPENED', statement.statementId, b)),
    ...result.stillOpen.map((b) => breakEvent('AGED', statement.statementId, b)),
    ...result.resolvedBreakKeys.flatMap((k) => {
      const b = byKey.get(k);
      return b === undefined ? [] : [breakEvent('RESOLVED', statement.statementId, b)];
    }),
  ];
  await client.query(
    `INSERT INTO recon_break_events (statement_id, break_key, event, payload)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::jsonb[]) ON CONFLICT DO NOTHING`,
    [
      statement.statementId,
      events.map((e) => e.breakKey),
      events.map((e) => e.event),
      events.map((e) => JSON.stringify(e)),
    ],
  );
  const outbox: OutboxMessage[] = events.map((e) => ({
    messageId: `BREAK:${e.statementId}:${e.breakKey}`,
    topic: Topics.RECON_BREAKS,
    key: e.account,
    payload: e,
    headers: traceHeaders(trace),
  }));
  await writeOutbox(client, outbox);
  return {
    seen: false,
    opened: result.newBreaks.length,
    aged: result.stillOpen.length,
    resolved: result.resolvedBreakKeys.length,
  };
}

/**
 * The correlation id of a statement's break events when its record carried none (a file import, a producer without
 * the header): derived from the statement id, so that a reprocessed statement's events carry the same one.
 */
export function statementCorrelationId(statementId: string): string {
  const id = `statement:${statementId}`.replace(/[^A-Za-z0-9._:-]/g, '_');
  return id.length <= 128 ? id : id.slice(0, 128);
}

/**
 * Reconciles statements in statement-date order (then id), in one transaction, then publishes the break events.
 * A statement whose id was already received is skipped whole. Each break event carries the trace context of its
 * statement's record (`traces`, by statement id), else {@link statementCorrelationId}.
 */
export async function reconcileStatements(
  deps: { readonly pool: Pool; readonly publisher: EventPublisher },
  statements: readonly CustodyStatementV1[],
  origin: 'TOPIC' | 'FILE',
  traces: ReadonlyMap<string, TraceContext> = new Map(),
): Promise<ReconSummary> {
  const ordered = [...statements].sort(
    (a, b) =>
      (a.statementDate < b.statementDate ? -1 : a.statementDate > b.statementDate ? 1 : 0) ||
      (a.statementId < b.statementId ? -1 : a.statementId > b.statementId ? 1 : 0),
  );
  const summary = await withTransaction(deps.pool, async (client) => {
    const totals = { statements: ordered.length, skippedAsSeen: 0, opened: 0, aged: 0, resolved: 0 };
    for (const statement of ordered) {
      const trace = traces.get(statement.statementId) ?? {
        correlationId: statementCorrelationId(statement.statementId),
      };
      const r = await reconcileOne(client, statement, origin, trace);
      if (r.seen) totals.skippedAsSeen += 1;
      totals.opened += r.opened;
      totals.aged += r.aged;
      totals.resolved += r.resolved;
    }
    return totals;
  });
  await publishOutbox(deps.pool, deps.publisher);
  return summary;
}
