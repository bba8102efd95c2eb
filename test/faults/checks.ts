/**
 * What must hold after recovery, read from the database and the topics (never from the pipeline's counters).
 * Each check returns its counts and the rows that break it (at most a few, to print).
 */
import type { Admin } from 'kafkajs';
import type { Pool } from 'pg';

import { expectedLiveTrades, expectedPositions, toMinor, type WorkloadEvent } from './recompute';

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly counts: string;
  readonly problems: readonly string[];
}

const check = (name: string, counts: string, problems: readonly string[]): Check => ({
  name,
  ok: problems.length === 0,
  counts,
  problems: problems.slice(0, 8),
});

/** Sum of the high watermarks of a topic: every record ever written to it. */
export async function topicRecords(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, o) => sum + Number(o.high), 0);
}

/**
 * Every record of trades.captured has exactly one outcome, to the record: a decision in the capture ledger
 * (validated, rejected, dead-lettered by decoding, or a recorded duplicate no-op) or a row in `dead_letters`
 * (dead-lettered by the failure policy because processing it failed); never both, never none. Per ExecID, at most
 * one record validated, and every duplicate's ExecID decided by another record. Then every validated ExecID has one
 * outcome at persistence: booked, refused (REJECTED), dead-lettered there, or (the hole issue 13 names) still held.
 */
export async function capturesAddUp(pool: Pool, admin: Admin): Promise<Check> {
  const records = await topicRecords(admin, 'trades.captured');
  const { rows } = await pool.query<{ outcome: string; n: string }>(
    `SELECT outcome, count(*) AS n FROM trade_captures WHERE source_topic = 'trades.captured' GROUP BY outcome
     UNION ALL
     SELECT 'POLICY_DEAD_LETTER', count(*) FROM dead_letters WHERE source_topic = 'trades.captured'`,
  );
  const by = Object.fromEntries(rows.map((r) => [r.outcome, Number(r.n)]));
  const outcomes = rows.reduce((sum, r) => sum + Number(r.n), 0);
  const both = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM dead_letters d JOIN trade_captures c USING (source_topic, source_partition, source_offset)
     WHERE d.source_topic = 'trades.captured'`,
  );
  const perExecId = await pool.query<{ exec_id: string; validated: string; decided: string }>(
    `SELECT exec_id, count(*) FILTER (WHERE outcome = 'VALIDATED') AS validated,
            count(*) FILTER (WHERE outcome <> 'REDELIVERED') AS decided
     FROM trade_captures WHERE source_topic = 'trades.captured' AND exec_id IS NOT NULL
     GROUP BY exec_id HAVING count(*) FILTER (WHERE outcome = 'VALIDATED') > 1
                          OR count(*) FILTER (WHERE outcome <> 'REDELIVERED') = 0
     ORDER BY exec_id LIMIT 8`,
  );
  // A dead letter of persistence keeps the validated event's bytes: its ExecID is in them.
  const persisted = await pool.query<{ booked: string; refused: string; dead: string; held: string; none: string }>(
    `WITH v AS (SELECT DISTINCT exec_id FROM trade_captures
                WHERE source_topic = 'trades.captured' AND outcome = 'VALIDATED'),
          dl AS (SELECT convert_from(decode(dead_letter ->> 'valueBase64', 'base64'), 'UTF8')::jsonb ->> 'execId'
                          AS exec_id
                 FROM dead_letters WHERE source_topic = 'trades.validated'),
          o AS (SELECT v.exec_id,
                  EXISTS (SELECT 1 FROM trade_versions t WHERE t.exec_id = v.exec_id) AS booked,
                  EXISTS (SELECT 1 FROM trade_captures c WHERE c.source_topic = 'trades.validated'
                            AND c.outcome IN ('REJECTED', 'DEAD_LETTER') AND c.exec_id = v.exec_id) AS refused,
                  EXISTS (SELECT 1 FROM dl WHERE dl.exec_id = v.exec_id) AS dead,
                  EXISTS (SELECT 1 FROM pending_trade_events p WHERE p.exec_id = v.exec_id) AS held
                FROM v)
     SELECT count(*) FILTER (WHERE booked) AS booked, count(*) FILTER (WHERE refused) AS refused,
            count(*) FILTER (WHERE dead) AS dead, count(*) FILTER (WHERE held) AS held,
            count(*) FILTER (WHERE NOT (booked OR refused OR dead OR held)) AS none
     FROM o`,
  );
  const p = persisted.rows[0];
  const problems: string[] = [];
  if (outcomes !== records) problems.push(`${records} records on trades.captured, ${outcomes} outcomes recorded`);
  if (Number(both.rows[0]?.n ?? 0) > 0) problems.push(`${both.rows[0]?.n} records with two outcomes`);
  problems.push(
    ...perExecId.rows.map((r) =>
      Number(r.validated) > 1
        ? `${r.exec_id}: validated ${r.validated} times`
        : `${r.exec_id}: only duplicates, no decision`,
    ),
  );
  if (p !== undefined && Number(p.none) > 0) problems.push(`${p.none} validated ExecIDs with no outcome at booking`);
  if (p !== undefined && Number(p.held) > 0) {
    const held = await pool.query<{ exec_id: string; trade_id: string }>(
      'SELECT exec_id, trade_id FROM pending_trade_events ORDER BY exec_id LIMIT 5',
    );
    problems.push(
      `${p.held} events held in pending_trade_events with no outcome (issue 13's parked amends): ` +
        held.rows.map((r) => `${r.exec_id} (trade ${r.trade_id})`).join(', '),
    );
  }
  return check(
    'captured = booked + rejected + dead-lettered + duplicates',
    `${records} captured = ${by.VALIDATED ?? 0} validated + ${by.REJECTED ?? 0} rejected + ` +
      `${by.DEAD_LETTER ?? 0} dead-lettered at decoding + ${by.POLICY_DEAD_LETTER ?? 0} dead-lettered by the ` +
      `failure policy + ${by.REDELIVERED ?? 0} duplicates; of the validated ExecIDs ` +
      `${p?.booked ?? '?'} booked, ${p?.refused ?? '?'} refused at booking, ${p?.dead ?? '?'} dead-lettered there, ` +
      `${p?.held ?? '?'} held`,
    problems,
  );
}

/**
 * Each dead letter of the trades.* family (the ledger's and the failure policy's) kept its raw bytes on
 * trades.deadletter (at least one record per dead letter).
 */
export async function deadLettersKept(pool: Pool, admin: Admin): Promise<Check> {
  const onTopic = await topicRecords(admin, 'trades.deadletter');
  const { rows } = await pool.query<{ n: string }>(
    `SELECT (SELECT count(*) FROM trade_captures WHERE outcome = 'DEAD_LETTER')
          + (SELECT count(*) FROM dead_letters WHERE out_topic = 'trades.deadletter') AS n`,
  );
  const stored = Number(rows[0]?.n ?? 0);
  return check(
    'every dead letter on trades.deadletter',
    `${stored} dead letters stored, ${onTopic} records on trades.deadletter`,
    onTopic >= stored ? [] : [`${stored - onTopic} dead letters missing from the topic`],
  );
}

/** One live (not cancelled) settlement instruction per live trade version, and none for anything else. */
export async function oneInstructionPerLiveVersion(pool: Pool): Promise<Check> {
  const { rows } = await pool.query<{ trade_id: string; version: number; live: string }>(
    `SELECT t.trade_id, t.version,
            (SELECT count(*) FROM settlement_instructions s
             WHERE s.trade_id = t.trade_id AND s.trade_version = t.version AND s.state <> 'CANCELLED') AS live
     FROM trades t WHERE t.status = 'LIVE'`,
  );
  const wrong = rows.filter((r) => Number(r.live) !== 1);
  const stale = await pool.query<{ instruction_id: string; trade_id: string; trade_version: number }>(
    `SELECT s.instruction_id, s.trade_id, s.trade_version FROM settlement_instructions s
     JOIN trades t ON t.trade_id = s.trade_id
     WHERE s.state <> 'CANCELLED' AND (t.status = 'CANCELLED' OR s.trade_version <> t.version)`,
  );
  return check(
    'one live settlement instruction per live trade version',
    `${rows.length} live trades, ${rows.length - wrong.length} with exactly one live instruction, ` +
      `${stale.rows.length} live instructions of superseded or cancelled versions`,
    [
      ...wrong.map((r) => `trade ${r.trade_id} v${r.version}: ${r.live} live instructions`),
      ...stale.rows.map((r) => `instruction ${r.instruction_id} of ${r.trade_id} v${r.trade_version} still live`),
    ],
  );
}

/** Each net instruction is the sum of its gross ones: quantity by movement, cash by credit/debit. */
export async function netEqualsGross(pool: Pool): Promise<Check> {
  const { rows } = await pool.query<{
    net_instruction_id: string;
    net_quantity: string;
    q: string;
    net_cash: string;
    c: string;
  }>(
    `SELECT n.net_instruction_id, n.net_quantity::text, n.net_cash::text,
            coalesce(sum(CASE WHEN s.movement = 'RECE' THEN s.quantity ELSE -s.quantity END), 0)::text AS q,
            coalesce(sum(CASE WHEN s.settlement_amount IS NULL THEN 0
                              WHEN s.credit_debit = 'DBIT' THEN -s.settlement_amount
                              ELSE s.settlement_amount END), 0)::text AS c
     FROM net_instructions n
     LEFT JOIN net_instruction_links l ON l.net_instruction_id = n.net_instruction_id
     LEFT JOIN settlement_instructions s ON s.instruction_id = l.instruction_id
     GROUP BY n.net_instruction_id, n.net_quantity, n.net_cash`,
  );
  const bad = rows.filter((r) => Number(r.net_quantity) !== Number(r.q) || r.net_cash !== r.c);
  // Numeric text can differ in trailing zeros: compare as decimals.
  const reallyBad = bad.filter(
    (r) => toMinor(r.net_quantity, 8) !== toMinor(r.q, 8) || toMinor(r.net_cash, 8) !== toMinor(r.c, 8),
  );
  return check(
    'net = sum of gross',
    `${rows.length} net instructions`,
    reallyBad.map((r) => `${r.net_instruction_id}: net ${r.net_quantity} / ${r.net_cash}, gross ${r.q} / ${r.c}`),
  );
}

/**
 * Every status message the custodian sent is recorded once (message ids are the key), and no instruction took the
 * same transition twice (the same state reached with the same settled quantity by two APPLIED messages).
 */
export async function transitionsOnce(pool: Pool, admin: Admin): Promise<Check> {
  const sent = await topicRecords(admin, 'settlement.status');
  const { rows } = await pool.query<{ outcome: string; n: string }>(
    'SELECT outcome, count(*) AS n FROM settlement_status_history GROUP BY outcome ORDER BY outcome',
  );
  const recorded = rows.reduce((sum, r) => sum + Number(r.n), 0);
  const doubled = await pool.query<{ instruction_id: string; state_after: string; n: string }>(
    `SELECT instruction_id, state_after, count(*) AS n FROM settlement_status_history
     WHERE outcome = 'APPLIED'
     GROUP BY instruction_id, state_before, state_after, settled_quantity HAVING count(*) > 1 LIMIT 8`,
  );
  const distinctSent = await pool.query<{ n: string }>(
    'SELECT count(DISTINCT message_id) AS n FROM settlement_status_history',
  );
  const problems = doubled.rows.map((r) => `${r.instruction_id} → ${r.state_after} applied ${r.n} times`);
  if (recorded < Number(distinctSent.rows[0]?.n ?? 0)) problems.push('history has fewer rows than message ids');
  return check(
    'every status transition applied once',
    `${sent} status messages on settlement.status, ${recorded} recorded (` +
      rows.map((r) => `${r.n} ${r.outcome}`).join(', ') +
      ')',
    recorded > sent ? [...problems, `${recorded} recorded of ${sent} sent`] : problems,
  );
}

/** Nothing left in an outbox: captures' decisions, settlement messages, booked versions, dead letters published. */
export async function outboxesEmpty(pool: Pool): Promise<Check> {
  const { rows } = await pool.query<{ captures: string; settlement: string; booked: string; dead: string }>(
    `SELECT
       (SELECT count(*) FROM trade_captures WHERE out_topic IS NOT NULL AND published_at IS NULL) AS captures,
       (SELECT count(*) FROM dead_letters WHERE published_at IS NULL) AS dead,
       (SELECT count(*) FROM settlement_outbox WHERE published_at IS NULL) AS settlement,
       (SELECT count(*) FROM trade_versions v
        WHERE NOT EXISTS (SELECT 1 FROM booked_trade_publications b WHERE b.exec_id = v.exec_id)) AS booked`,
  );
  const r = rows[0];
  const left = r === undefined ? 0 : Number(r.captures) + Number(r.settlement) + Number(r.booked) + Number(r.dead);
  return check(
    'no message left in an outbox',
    `unpublished: ${r?.captures ?? '?'} capture decisions, ${r?.settlement ?? '?'} settlement messages, ` +
      `${r?.booked ?? '?'} booked versions, ${r?.dead ?? '?'} dead letters`,
    left === 0 ? [] : [`${left} messages unpublished`],
  );
}

/**
 * Committed offsets of every consumer group of the platform (the handlers' mappings, posttrade-local-<function>)
 * at the end of each partition it reads. The simulators' groups (the custodian's, one per run) are not the
 * platform's: one left behind by a workload that ended reads nothing more.
 */
export async function noConsumerLag(admin: Admin): Promise<Check> {
  const groups = (await admin.listGroups()).groups.filter((g) => g.groupId.startsWith('posttrade-local-'));
  const problems: string[] = [];
  let partitions = 0;
  for (const { groupId } of groups) {
    const committed = await admin.fetchOffsets({ groupId });
    for (const topic of committed) {
      const ends = new Map((await admin.fetchTopicOffsets(topic.topic)).map((o) => [o.partition, Number(o.high)]));
      for (const p of topic.partitions) {
        if (Number(p.offset) < 0) continue;
        partitions += 1;
        const lag = (ends.get(p.partition) ?? 0) - Number(p.offset);
        if (lag !== 0) problems.push(`${groupId} ${topic.topic}[${p.partition}] lag ${lag}`);
      }
    }
  }
  return check('no consumer lag', `${groups.length} groups, ${partitions} committed partitions`, problems);
}

export interface PositionFigures {
  readonly quantity: string;
  readonly openCost: string;
  readonly realized: string;
}

/** The pipeline's positions, keyed `account|isin`, to the cent (quantities exactly). */
export async function readPositions(pool: Pool): Promise<Map<string, PositionFigures>> {
  const { rows } = await pool.query<{
    account_id: string;
    isin: string;
    quantity: string;
    open_cost: string;
    realized: string;
  }>('SELECT account_id, isin, quantity::text, open_cost::text, realized::text FROM positions');
  return new Map(
    rows.map((r) => [
      `${r.account_id}|${r.isin}`,
      { quantity: toMinor(r.quantity, 4), openCost: toMinor(r.open_cost, 2), realized: toMinor(r.realized, 2) },
    ]),
  );
}

/**
 * The live trades and positions equal an independent recomputation from the workload: the set of live trade
 * versions, then per position quantity, open cost and realized P&L (trade currency) to the cent.
 */
export async function positionsRecomputed(pool: Pool, all: readonly WorkloadEvent[]): Promise<Check[]> {
  // The workload as far as it was published (a workload cut short by a failure published only its first days):
  // the events whose ExecID reached trades.captured, whatever became of them.
  const published = await pool.query<{ exec_id: string }>(
    `SELECT DISTINCT exec_id FROM trade_captures WHERE source_topic = 'trades.captured' AND exec_id IS NOT NULL`,
  );
  const seen = new Set(published.rows.map((r) => r.exec_id));
  const workload = all.filter((w) => seen.has(w.event.execId));
  const live = expectedLiveTrades(workload);
  const booked = await pool.query<{ trade_id: string; version: number; exec_id: string }>(
    `SELECT trade_id, version, exec_id FROM trades WHERE status = 'LIVE' AND trade_id IN (SELECT unnest($1::text[]))
     UNION ALL
     SELECT trade_id, version, exec_id FROM trades WHERE status = 'LIVE' AND exec_id LIKE 'SIM%'
       AND NOT (trade_id = ANY($1::text[]))`,
    [[...live.keys()]],
  );
  const dbLive = new Map(booked.rows.map((r) => [r.trade_id, r]));
  const missing = [...live.values()].filter((t) => dbLive.get(t.tradeId)?.version !== t.version);
  const extra = [...dbLive.values()].filter((r) => !live.has(r.trade_id));
  // The simulator's good trades that the platform refused on a race (a duplicate ExecID on two partitions, a wash
  // trade against a booking in flight) are named with their reasons: a difference to explain, not to hide.
  const reasons = await pool.query<{ exec_id: string; reasons: string }>(
    `SELECT exec_id, string_agg(DISTINCT r->>'code', ',') AS reasons
     FROM trade_captures, jsonb_array_elements(coalesce(rejection->'reasons', '[]'::jsonb)) r
     WHERE outcome = 'REJECTED' AND exec_id = ANY($1::text[]) GROUP BY exec_id`,
    [missing.map((t) => t.execId)],
  );
  const why = new Map(reasons.rows.map((r) => [r.exec_id, r.reasons]));
  const liveCheck = check(
    'live trades = the workload recomputed',
    `${live.size} live trade versions expected from ${workload.length} workload events, ${dbLive.size} live in the database`,
    [
      ...missing.map(
        (t) =>
          `${t.tradeId} v${t.version} (${t.execId}) not live as expected` +
          (why.has(t.execId)
            ? `: rejected ${why.get(t.execId) ?? ''}`
            : `: the database has v${dbLive.get(t.tradeId)?.version ?? 'none'}`),
      ),
      ...extra.map((r) => `${r.trade_id} v${r.version} live but not expected`),
    ],
  );
  const methods = await pool.query<{ id: string; cost_method: string }>('SELECT id, cost_method FROM accounts');
  const method = new Map(methods.rows.map((r) => [r.id, r.cost_method]));
  const expected = expectedPositions(live, (account) => method.get(account) ?? 'FIFO');
  const actual = await readPositions(pool);
  const problems: string[] = [];
  for (const [key, e] of expected) {
    const a = actual.get(key);
    const want = {
      quantity: toMinor(e.quantity, 4),
      openCost: toMinor(e.openCost, 2),
      realized: toMinor(e.realized, 2),
    };
    if (a === undefined) {
      problems.push(`${key}: expected ${JSON.stringify(want)}, no position`);
    } else if (a.quantity !== want.quantity || a.openCost !== want.openCost || a.realized !== want.realized) {
      problems.push(`${key}: expected ${JSON.stringify(want)}, got ${JSON.stringify(a)}`);
    }
  }
  for (const key of actual.keys()) if (!expected.has(key)) problems.push(`${key}: position not expected`);
  return [
    liveCheck,
    check(
      'positions and realized P&L = the independent recomputation (to the cent)',
      `${expected.size} positions recomputed, ${actual.size} in the database`,
      problems,
    ),
  ];
}

/** Every stored daily report line, keyed `date account isin`, as its figures (numerics without trailing zeros). */
export async function readReportLines(pool: Pool): Promise<Map<string, string>> {
  const figures = [
    'closing_quantity',
    'open_cost',
    'realized_today',
    'unrealized_at_close',
    'unrealized_change_today',
    'fees_today',
    'total_today',
    'realized_today_base',
    'unrealized_at_close_base',
    'total_today_base',
    'price_effect_today_base',
    'fx_effect_today_base',
    'realized_since_inception',
    'realized_since_inception_base',
  ].map((column) => `coalesce(trim_scale(${column})::text, '-')`);
  const { rows } = await pool.query<{ key: string; figures: string }>(
    `SELECT report_date::text || ' ' || account_id || ' ' || isin AS key, concat_ws(' ', ${figures.join(', ')}) AS figures
     FROM daily_pnl_lines`,
  );
  return new Map(rows.map((r) => [r.key, r.figures]));
}

/**
 * The poison record (a NUL in a text field, which PostgreSQL cannot store) was dead-lettered with its reason and its
 * exact bytes every time it was sent, and did not stall its partition: records after it there were decided.
 */
export async function poisonDeadLettered(pool: Pool, seed: number): Promise<Check> {
  const { rows } = await pool.query<{ source_partition: number; source_offset: string; codes: string; after: string }>(
    `SELECT c.source_partition, c.source_offset::text,
            (SELECT string_agg(r ->> 'code', ',') FROM jsonb_array_elements(c.out_value -> 'reasons') r) AS codes,
            (SELECT count(*) FROM trade_captures a WHERE a.source_topic = c.source_topic
               AND a.source_partition = c.source_partition AND a.source_offset > c.source_offset) AS after
     FROM trade_captures c
     WHERE c.source_topic = 'trades.captured' AND c.outcome = 'DEAD_LETTER'
       AND position(convert_to($1, 'UTF8') IN decode(c.out_value ->> 'valueBase64', 'base64')) > 0
     ORDER BY c.source_partition, c.source_offset`,
    [`POISON-${seed}`],
  );
  const problems: string[] = [];
  if (rows.length === 0) problems.push('no dead letter holds the poison record');
  for (const r of rows) {
    const where = `trades.captured[${r.source_partition}]@${r.source_offset}`;
    if (r.codes !== 'UNSTORABLE_TEXT') problems.push(`${where}: reasons ${r.codes}, not UNSTORABLE_TEXT`);
    if (Number(r.after) === 0) problems.push(`${where}: nothing after it on its partition was decided`);
  }
  return check(
    'the poison record dead-lettered, its partition went on',
    `${rows.length} poison records dead-lettered (UNSTORABLE_TEXT, exact bytes kept), ` +
      `${rows.map((r) => r.after).join('/')} records decided after them on their partitions`,
    problems,
  );
}
