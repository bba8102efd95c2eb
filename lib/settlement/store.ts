/**
 * Settlement in PostgreSQL (migrations/1732406700000_settlement.sql): gross instructions with their versions and
 * replacement links, cancellations, net instructions linked to their gross ones, status history and the outbox.
 *
 * Idempotent by construction: every row is keyed by a deterministic id (instruction, net instruction,
 * cancellation, status message), every insert is ON CONFLICT DO NOTHING, and one batch is one transaction of
 * set-based statements (`unnest` of one array per column).
 */
import type { Pool, PoolClient } from 'pg';

import { HolidayCalendar } from '../domain/calendar';
import { Dec } from '../domain/money';
import { netObligations, NetObligation } from '../domain/netting';
import { loadSsis } from '../db/reference-store';
import { SettlementCycleRule } from '../domain/settlement-date';
import {
  InstructedSettlementInstruction,
  SettlementInstruction,
  SettlementParty,
  SecuritiesMovement,
} from '../domain/settlement-instruction';
import { ageInBusinessDays } from '../domain/settlement-status';
import type { PlannedInstruction, SettlementPlan, SettlementReferenceData } from './plan';
import { grossMessage, netMessage, cancellationMessage } from './messages';
import { OutboxMessage, writeOutbox } from './outbox';
import type { TraceContext } from '../observability/correlation';

/**
 * The trace contexts of a batch's booked versions (lib/observability/correlation.ts), for the messages written about
 * them: a gross instruction's by the ExecID of the version it instructs, a cancellation's by the trade it ends.
 */
export interface PlanTraces {
  readonly byExecId: ReadonlyMap<string, TraceContext>;
  readonly byTradeId: ReadonlyMap<string, TraceContext>;
}

const NO_TRACES: PlanTraces = { byExecId: new Map(), byTradeId: new Map() };

/** What settles together: the netting key without payment type and place (those split groups further). */
export interface NettingScope {
  readonly account: string;
  readonly counterpartyLei: string;
  readonly isin: string;
  readonly currency: string;
  readonly settlementDate: string;
}

export interface GrossInstructionRow {
  readonly instructionId: string;
  readonly tradeId: string;
  readonly tradeVersion: number;
  readonly account: string;
  readonly isin: string;
  readonly settlementDate: string;
  readonly state: string;
  readonly exceptions: readonly { reason: string; detail: string }[];
  readonly replacesInstructionId: string | null;
  /** The state of its live net instruction when it has one, else its own. */
  readonly effectiveState: string;
  readonly netInstructionId: string | null;
}

export interface FailedSettlement {
  readonly netInstructionId: string;
  readonly account: string;
  readonly isin: string;
  readonly failedSince: string;
  readonly reasonCode: string | null;
  readonly ageBusinessDays: number;
}

interface InstructionDbRow {
  instruction_id: string;
  trade_id: string;
  trade_version: number;
  account_id: string;
  counterparty_lei: string;
  isin: string;
  quantity: string;
  movement: 'RECE' | 'DELI';
  payment: 'APMT' | 'FREE';
  message_type: 'MT540' | 'MT541' | 'MT542' | 'MT543';
  settlement_amount: string | null;
  credit_debit: 'DBIT' | 'CRDT' | null;
  currency: string;
  trade_date: string;
  settlement_date: string;
  place_of_settlement: string | null;
  delivering_party: SettlementParty | null;
  receiving_party: SettlementParty | null;
  state: 'INSTRUCTED' | 'EXCEPTION' | 'CANCELLED';
  exceptions: { reason: string; detail: string }[];
  replaces_instruction_id: string | null;
}

const INSTRUCTION_COLUMNS = `instruction_id, trade_id, trade_version, account_id, counterparty_lei, isin, quantity,
  movement, payment, message_type, settlement_amount, credit_debit, currency,
  to_char(trade_date, 'YYYY-MM-DD') AS trade_date, to_char(settlement_date, 'YYYY-MM-DD') AS settlement_date,
  place_of_settlement, delivering_party, receiving_party, state, exceptions, replaces_instruction_id`;

/** Back to the domain's instruction; a stored EXCEPTION or CANCELLED row is not netted, so it needs no parties. */
function toInstruction(row: InstructionDbRow): SettlementInstruction {
  const terms = {
    instructionId: row.instruction_id,
    tradeReference: row.trade_id,
    tradeVersion: row.trade_version,
    account: row.account_id,
    counterpartyLei: row.counterparty_lei,
    isin: row.isin,
    quantity: new Dec(row.quantity),
    movement: row.movement,
    payment: row.payment,
    messageType: row.message_type,
    currency: row.currency,
    tradeDate: row.trade_date,
    settlementDate: row.settlement_date,
    ...(row.settlement_amount === null ? {} : { settlementAmount: new Dec(row.settlement_amount) }),
    ...(row.credit_debit === null ? {} : { creditDebit: row.credit_debit }),
    ...(row.replaces_instruction_id === null ? {} : { replacesInstructionId: row.replaces_instruction_id }),
  };
  if (
    row.state === 'INSTRUCTED' &&
    row.place_of_settlement !== null &&
    row.delivering_party !== null &&
    row.receiving_party !== null
  ) {
    return {
      ...terms,
      state: 'INSTRUCTED',
      placeOfSettlement: row.place_of_settlement,
      deliveringParty: row.delivering_party,
      receivingParty: row.receiving_party,
    };
  }
  return { ...terms, state: 'EXCEPTION', exceptions: [] };
}

export class PgSettlementStore {
  constructor(private readonly pool: Pool) {}

  get connectionPool(): Pool {
    return this.pool;
  }

  /** Instruments, cycles, calendars and SSIs a batch of trades needs, in four set-based queries. */
  async referenceData(isins: readonly string[], accounts: readonly string[]): Promise<SettlementReferenceData> {
    const [instruments, cycles, holidays, ssis] = await Promise.all([
      this.pool.query<{ isin: string; instrument_type: string; settlement_mic: string }>(
        'SELECT isin, instrument_type, settlement_mic FROM instruments WHERE isin = ANY($1::bpchar[])',
        [isins],
      ),
      this.pool.query<{ market: string; instrument_type: string; effective_from: string; days: number }>(
        `SELECT market, instrument_type, to_char(effective_from, 'YYYY-MM-DD') AS effective_from, days
         FROM settlement_cycles`,
      ),
      this.pool.query<{ mic: string; dates: string[] }>(
        `SELECT i.settlement_mic AS mic, coalesce(array_agg(to_char(h.date, 'YYYY-MM-DD')) FILTER (WHERE h.date IS NOT NULL), '{}') AS dates
         FROM (SELECT DISTINCT settlement_mic FROM instruments WHERE isin = ANY($1::bpchar[])) i
         LEFT JOIN holidays h ON h.mic = i.settlement_mic GROUP BY i.settlement_mic`,
        [isins],
      ),
      loadSsis(this.pool, accounts),
    ]);
    const cycleRules: SettlementCycleRule[] = cycles.rows.map((r) => ({
      market: r.market.trim(),
      instrumentType: r.instrument_type,
      effectiveFrom: r.effective_from,
      days: r.days,
    }));
    return {
      instruments: new Map(
        instruments.rows.map((r) => [
          r.isin,
          { isin: r.isin, instrumentType: r.instrument_type, settlementMic: r.settlement_mic },
        ]),
      ),
      cycles: cycleRules,
      calendars: new Map(holidays.rows.map((r) => [r.mic, HolidayCalendar.fromHolidayData(r.mic, r.dates)])),
      ssis,
    };
  }

  /** The latest stored instruction of each trade, locked for the batch's transaction. */
  async currentInstructions(
    client: PoolClient,
    tradeIds: readonly string[],
  ): Promise<Map<string, { instruction: SettlementInstruction; cancelled: boolean }>> {
    const { rows } = await client.query<InstructionDbRow>(
      `SELECT ${INSTRUCTION_COLUMNS} FROM settlement_instructions
       WHERE trade_id = ANY($1::text[]) ORDER BY trade_id, trade_version FOR UPDATE`,
      [tradeIds],
    );
    // Ascending versions: the last one written for a trade is its latest.
    return new Map(
      rows.map((r) => [r.trade_id, { instruction: toInstruction(r), cancelled: r.state === 'CANCELLED' }]),
    );
  }

  /**
   * Writes a plan: new gross instructions, cancelled ones, cancellation records, and their outbox messages.
   * Returns the netting scopes the batch touched.
   */
  async writePlan(client: PoolClient, plan: SettlementPlan, traces: PlanTraces = NO_TRACES): Promise<NettingScope[]> {
    const rows = plan.instructions;
    const col = <T>(f: (p: PlannedInstruction) => T) => rows.map(f);
    const party = (p: SettlementParty | undefined) => (p === undefined ? null : JSON.stringify(p));
    await client.query(
      `INSERT INTO settlement_instructions (instruction_id, trade_id, trade_version, exec_id, account_id,
         counterparty_lei, isin, quantity, movement, payment, message_type, settlement_amount, credit_debit, currency,
         trade_date, settlement_date, stated_settlement_date, place_of_settlement, delivering_party, receiving_party,
         settlement_market, state, exceptions, replaces_instruction_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::bpchar[], $7::bpchar[],
         $8::numeric[], $9::text[], $10::text[], $11::text[], $12::numeric[], $13::text[], $14::bpchar[], $15::date[],
         $16::date[], $17::date[], $18::text[], $19::jsonb[], $20::jsonb[], $21::bpchar[], $22::text[], $23::jsonb[],
         $24::text[])
       ON CONFLICT DO NOTHING`,
      [
        col((p) => p.instruction.instructionId),
        col((p) => p.instruction.tradeReference),
        col((p) => p.instruction.tradeVersion),
        col((p) => p.execId),
        col((p) => p.instruction.account),
        col((p) => p.instruction.counterpartyLei),
        col((p) => p.instruction.isin),
        col((p) => p.instruction.quantity.toFixed()),
        col((p) => p.instruction.movement),
        col((p) => p.instruction.payment),
        col((p) => p.instruction.messageType),
        col((p) => p.instruction.settlementAmount?.toFixed() ?? null),
        col((p) => p.instruction.creditDebit ?? null),
        col((p) => p.instruction.currency),
        col((p) => p.instruction.tradeDate),
        col((p) => p.instruction.settlementDate),
        col((p) => p.statedSettlementDate ?? null),
        col((p) => (p.instruction.state === 'INSTRUCTED' ? p.instruction.placeOfSettlement : null)),
        col((p) => (p.instruction.state === 'INSTRUCTED' ? party(p.instruction.deliveringParty) : null)),
        col((p) => (p.instruction.state === 'INSTRUCTED' ? party(p.instruction.receivingParty) : null)),
        col((p) => p.settlementMarket ?? null),
        col((p) => p.state),
        col((p) => JSON.stringify(p.exceptions)),
        col((p) => p.instruction.replacesInstructionId ?? null),
      ],
    );
    const cancelledIds = plan.cancellations.map((c) => c.cancelsInstructionId);
    const { rows: cancelled } = await client.query<{ instruction_id: string; account_id: string }>(
      `UPDATE settlement_instructions SET state = 'CANCELLED', updated_at = now()
       WHERE instruction_id = ANY($1::text[]) AND state <> 'CANCELLED' RETURNING instruction_id, account_id`,
      [cancelledIds],
    );
    const accountOf = new Map(cancelled.map((r) => [r.instruction_id, r.account_id]));
    const cancellations = plan.cancellations.filter((c) => accountOf.has(c.cancelsInstructionId));
    await client.query(
      `INSERT INTO settlement_cancellations (cancellation_id, cancels_instruction_id, kind, trade_id, send_to_custodian, reason)
       SELECT c, i, 'GROSS', t, false, r FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS x(c, i, t, r)
       ON CONFLICT DO NOTHING`,
      [
        cancellations.map((c) => c.cancellationId),
        cancellations.map((c) => c.cancelsInstructionId),
        cancellations.map((c) => c.tradeReference),
        cancellations.map((c) => c.reason),
      ],
    );
    const outbox: OutboxMessage[] = [
      ...rows.map((p) => grossMessage(p, traces.byExecId.get(p.execId))),
      ...cancellations.map((c) =>
        cancellationMessage(
          {
            cancellationId: c.cancellationId,
            cancelsInstructionId: c.cancelsInstructionId,
            cancels: 'GROSS',
            account: accountOf.get(c.cancelsInstructionId) ?? '',
            // A gross instruction never went to the custodian on its own: its net instruction did.
            sendToCustodian: false,
            reason: c.reason,
          },
          traces.byTradeId.get(c.tradeReference),
        ),
      ),
    ];
    await writeOutbox(client, outbox);

    const { rows: scopes } = await client.query<{
      account_id: string;
      counterparty_lei: string;
      isin: string;
      currency: string;
      settlement_date: string;
    }>(
      `SELECT DISTINCT account_id, counterparty_lei, isin, currency, to_char(settlement_date, 'YYYY-MM-DD') AS settlement_date
       FROM settlement_instructions WHERE instruction_id = ANY($1::text[])`,
      [[...rows.map((p) => p.instruction.instructionId), ...cancelledIds]],
    );
    return scopes.map((s) => ({
      account: s.account_id,
      counterpartyLei: s.counterparty_lei,
      isin: s.isin,
      currency: s.currency,
      settlementDate: s.settlement_date,
    }));
  }

  /**
   * Nets the obligations of the given scopes again. Candidates are INSTRUCTED gross instructions not already
   * committed to a net instruction the custodian has acted on (anything past INSTRUCTED). A net instruction still
   * only INSTRUCTED whose set of gross instructions changed is cancelled and replaced; an unchanged set has the
   * same id and writes nothing.
   */
  async renet(client: PoolClient, scopes: readonly NettingScope[], statusDate: string): Promise<void> {
    if (scopes.length === 0) return;
    const params = [
      scopes.map((s) => s.account),
      scopes.map((s) => s.counterpartyLei),
      scopes.map((s) => s.isin),
      scopes.map((s) => s.currency),
      scopes.map((s) => s.settlementDate),
    ];
    const scopeSql = `(SELECT * FROM unnest($1::text[], $2::bpchar[], $3::bpchar[], $4::bpchar[], $5::date[]))`;
    const { rows: candidateRows } = await client.query<InstructionDbRow>(
      `SELECT ${INSTRUCTION_COLUMNS} FROM settlement_instructions s
       WHERE s.state = 'INSTRUCTED'
         AND (s.account_id, s.counterparty_lei, s.isin, s.currency, s.settlement_date) IN ${scopeSql}
         AND NOT EXISTS (SELECT 1 FROM net_instruction_links l JOIN net_instructions n USING (net_instruction_id)
                         WHERE l.instruction_id = s.instruction_id AND n.state NOT IN ('INSTRUCTED', 'CANCELLED'))
       FOR UPDATE`,
      params,
    );
    const { rows: liveNets } = await client.query<{ net_instruction_id: string; account_id: string }>(
      `SELECT net_instruction_id, account_id FROM net_instructions
       WHERE state = 'INSTRUCTED' AND (account_id, counterparty_lei, isin, currency, settlement_date) IN ${scopeSql}
       FOR UPDATE`,
      params,
    );
    const candidates = candidateRows
      .map(toInstruction)
      .filter((i): i is InstructedSettlementInstruction => i.state === 'INSTRUCTED');
    const byId = new Map(candidates.map((c) => [c.instructionId, c]));
    const { obligations } = netObligations(candidates);
    const keep = new Set(obligations.map((o) => o.netInstructionId));
    const obsolete = liveNets.filter((n) => !keep.has(n.net_instruction_id));
    const existing = new Set(liveNets.map((n) => n.net_instruction_id));
    const fresh = obligations.filter((o) => !existing.has(o.netInstructionId));

    if (obsolete.length > 0) {
      await client.query(
        `UPDATE net_instructions SET state = 'CANCELLED', updated_at = now() WHERE net_instruction_id = ANY($1::text[])`,
        [obsolete.map((n) => n.net_instruction_id)],
      );
      const cancellations = obsolete.map((n) => ({
        cancellationId: `NC${n.net_instruction_id.slice(2)}`,
        cancelsInstructionId: n.net_instruction_id,
        cancels: 'NET' as const,
        account: n.account_id,
        sendToCustodian: true,
        reason: 'RENETTED',
      }));
      await client.query(
        `INSERT INTO settlement_cancellations (cancellation_id, cancels_instruction_id, kind, send_to_custodian, reason)
         SELECT c, i, 'NET', true, 'RENETTED' FROM unnest($1::text[], $2::text[]) AS x(c, i) ON CONFLICT DO NOTHING`,
        [cancellations.map((c) => c.cancellationId), cancellations.map((c) => c.cancelsInstructionId)],
      );
      await writeOutbox(
        client,
        cancellations.map((c) => cancellationMessage(c)),
      );
    }
    if (fresh.length === 0) return;

    const partiesOf = (o: NetObligation) => {
      const member = byId.get(o.grossInstructionIds[0] ?? '');
      if (member === undefined || o.kind !== 'SECURITIES') return { delivering: null, receiving: null };
      const ours = member.movement === SecuritiesMovement.RECEIVE ? member.receivingParty : member.deliveringParty;
      const theirs = member.movement === SecuritiesMovement.RECEIVE ? member.deliveringParty : member.receivingParty;
      const receive = o.movement === SecuritiesMovement.RECEIVE;
      return { delivering: receive ? theirs : ours, receiving: receive ? ours : theirs };
    };
    const col = <T>(f: (o: NetObligation) => T) => fresh.map(f);
    await client.query(
      `INSERT INTO net_instructions (net_instruction_id, kind, account_id, counterparty_lei, isin, currency,
         settlement_date, payment, place_of_settlement, net_quantity, net_cash, movement, quantity, settlement_payment,
         message_type, settlement_amount, credit_debit, delivering_party, receiving_party, status_date)
       SELECT *, $20::date FROM unnest($1::text[], $2::text[], $3::text[], $4::bpchar[], $5::bpchar[], $6::bpchar[],
         $7::date[], $8::text[], $9::text[], $10::numeric[], $11::numeric[], $12::text[], $13::numeric[], $14::text[],
         $15::text[], $16::numeric[], $17::text[], $18::jsonb[], $19::jsonb[])
       ON CONFLICT DO NOTHING`,
      [
        col((o) => o.netInstructionId),
        col((o) => o.kind),
        col((o) => o.account),
        col((o) => o.counterpartyLei),
        col((o) => o.isin),
        col((o) => o.currency),
        col((o) => o.settlementDate),
        col((o) => o.payment),
        col((o) => o.placeOfSettlement),
        col((o) => o.netQuantity.toFixed()),
        col((o) => o.netCash.toFixed()),
        col((o) => (o.kind === 'SECURITIES' ? o.movement : null)),
        col((o) => (o.kind === 'SECURITIES' ? o.quantity.toFixed() : '0')),
        col((o) => (o.kind === 'SECURITIES' ? o.settlementPayment : null)),
        col((o) => (o.kind === 'SECURITIES' ? o.messageType : null)),
        col((o) => o.settlementAmount?.toFixed() ?? null),
        col((o) => o.creditDebit ?? null),
        col((o) => JSON.stringify(partiesOf(o).delivering)),
        col((o) => JSON.stringify(partiesOf(o).receiving)),
        statusDate,
      ],
    );
    const links = fresh.flatMap((o) => o.grossInstructionIds.map((id) => [o.netInstructionId, id] as const));
    await client.query(
      `INSERT INTO net_instruction_links (net_instruction_id, instruction_id)
       SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`,
      [links.map((l) => l[0]), links.map((l) => l[1])],
    );
    await writeOutbox(
      client,
      fresh.map((o) => netMessage(o, partiesOf(o))),
    );
  }

  /** Gross instructions of trades, with the state of their live net instruction. */
  async instructionsOfTrades(tradeIds: readonly string[]): Promise<GrossInstructionRow[]> {
    return this.grossRows('s.trade_id = ANY($1::text[])', [tradeIds]);
  }

  /** The exception queue: every instruction held as EXCEPTION, oldest first. */
  async exceptions(): Promise<GrossInstructionRow[]> {
    return this.grossRows(`s.state = 'EXCEPTION'`, []);
  }

  private async grossRows(where: string, params: unknown[]): Promise<GrossInstructionRow[]> {
    const { rows } = await this.pool.query<{
      instruction_id: string;
      trade_id: string;
      trade_version: number;
      account_id: string;
      isin: string;
      settlement_date: string;
      state: string;
      exceptions: { reason: string; detail: string }[];
      replaces_instruction_id: string | null;
      effective_state: string;
      net_instruction_id: string | null;
    }>(
      `SELECT s.instruction_id, s.trade_id, s.trade_version, s.account_id, s.isin,
              to_char(s.settlement_date, 'YYYY-MM-DD') AS settlement_date, s.state, s.exceptions,
              s.replaces_instruction_id, v.state AS effective_state, v.net_instruction_id
       FROM settlement_instructions s JOIN settlement_instruction_status v USING (instruction_id)
       WHERE ${where} ORDER BY s.created_at, s.trade_id, s.trade_version`,
      params,
    );
    return rows.map((r) => ({
      instructionId: r.instruction_id,
      tradeId: r.trade_id,
      tradeVersion: r.trade_version,
      account: r.account_id,
      isin: r.isin,
      settlementDate: r.settlement_date,
      state: r.state,
      exceptions: r.exceptions,
      replacesInstructionId: r.replaces_instruction_id,
      effectiveState: r.effective_state,
      netInstructionId: r.net_instruction_id,
    }));
  }

  /** Failed settlements with their age in business days of their settlement market on `asOf`. */
  async failedSettlements(asOf: string): Promise<FailedSettlement[]> {
    const { rows } = await this.pool.query<{
      net_instruction_id: string;
      account_id: string;
      isin: string;
      failed_since: string;
      reason_code: string | null;
      mic: string;
      holidays: string[];
    }>(
      `SELECT n.net_instruction_id, n.account_id, n.isin, to_char(n.failed_since, 'YYYY-MM-DD') AS failed_since,
              n.reason_code, i.settlement_mic AS mic,
              coalesce((SELECT array_agg(to_char(h.date, 'YYYY-MM-DD')) FROM holidays h WHERE h.mic = i.settlement_mic), '{}') AS holidays
       FROM net_instructions n JOIN instruments i USING (isin)
       WHERE n.state = 'FAILED' ORDER BY n.failed_since, n.net_instruction_id`,
    );
    return rows.map((r) => ({
      netInstructionId: r.net_instruction_id,
      account: r.account_id,
      isin: r.isin,
      failedSince: r.failed_since,
      reasonCode: r.reason_code,
      ageBusinessDays: ageInBusinessDays(r.failed_since, asOf, new HolidayCalendar(r.mic, r.holidays)),
    }));
  }
}
