/**
 * The wash-trade rule (lib/domain/validation/duplicates.ts, findWashTrade) checked again at booking time against
 * what is booked now: the store's query that gathers the candidates, the rule applied in code.
 */
import type { PoolClient } from 'pg';

import { Dec } from '../domain/money';
import { DEFAULT_VALIDATION_THRESHOLDS } from '../domain/refdata';
import type { Side } from '../domain/trade';
import type { RecentExecution } from '../domain/validation/context';
import { findWashTrade, washTradeViolation } from '../domain/validation/duplicates';
import { THRESHOLD_KEYS } from './reference-store';
import { isNew, type CapturedEvent } from './trade-rows';
import type { RejectionReason } from './trade-store';

interface WashCheckRow {
  /** Per event checked, in order: its beneficial owner, and whether its trade id and version are booked already. */
  batch: { owner: string | null; taken: boolean }[];
  /** Live trades of the batch's owners in its ISINs near its trade times; decimals as text. */
  candidates: {
    exec_id: string;
    trade_id: string;
    beneficial_owner: string;
    isin: string;
    side: Side;
    quantity: string;
    price: string;
    trade_time: string;
  }[];
  window_seconds: string;
}

/**
 * The NEWs among `events` (in batch order) that wash against a live booked trade or an earlier NEW of the batch,
 * with their WASH_TRADE reason: validation's rule (findWashTrade) on what is booked now. One query, on the index of
 * live trades by ISIN and time, under the owner-and-ISIN locks taken by bookEvents. A NEW whose trade id and
 * version are already claimed is left to the version conflict it will be, and is nobody's wash-trade leg.
 */
export async function washTradesAmong(
  client: PoolClient,
  events: readonly CapturedEvent[],
): Promise<Map<CapturedEvent, RejectionReason>> {
  const news = events.filter(isNew);
  const washes = new Map<CapturedEvent, RejectionReason>();
  if (news.length === 0) return washes;
  const { rows } = await client.query<WashCheckRow>(
    // The window and the batch's time span are scalar subqueries (init plans), so that the trade-time bounds are
    // index conditions on trades_live_isin_time: the scan reads the ISIN's live trades near the batch, not all.
    `WITH batch AS (
       SELECT b.ord, coalesce(b.owner, a.beneficial_owner) AS owner, b.isin, b.at, taken.version IS NOT NULL AS taken
       FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[], $5::bpchar[], $6::timestamptz[])
         WITH ORDINALITY AS b(trade_id, version, account_id, owner, isin, at, ord)
       LEFT JOIN accounts a ON a.id = b.account_id
       LEFT JOIN LATERAL (
         SELECT v.version FROM trade_versions v WHERE v.trade_id = b.trade_id AND v.version = b.version LIMIT 1
       ) taken ON true),
     window_length AS (
       SELECT seconds, make_interval(secs => seconds::double precision) AS w
       FROM (SELECT coalesce((SELECT value FROM validation_thresholds WHERE key = $7), $8::numeric) AS seconds) s),
     candidates AS (
       SELECT t.exec_id, t.trade_id, coalesce(t.beneficial_owner, ta.beneficial_owner) AS beneficial_owner,
         t.isin, t.side, t.quantity::text AS quantity, t.price::text AS price,
         to_char(t.trade_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS trade_time
       FROM trades t
       LEFT JOIN accounts ta ON ta.id = t.account_id
       WHERE t.status = 'LIVE'
         AND t.isin = ANY($9::bpchar[])
         AND t.trade_time BETWEEN (SELECT min(at) FROM batch) - (SELECT w FROM window_length)
                              AND (SELECT max(at) FROM batch) + (SELECT w FROM window_length)
         AND EXISTS (
           SELECT 1 FROM batch b
           WHERE b.isin = t.isin AND b.owner = coalesce(t.beneficial_owner, ta.beneficial_owner)
             AND t.trade_time BETWEEN b.at - (SELECT w FROM window_length) AND b.at + (SELECT w FROM window_length)))
     SELECT
       (SELECT json_agg(json_build_object('owner', owner, 'taken', taken) ORDER BY ord) FROM batch) AS batch,
       (SELECT coalesce(json_agg(c ORDER BY c.trade_time, c.exec_id), '[]'::json) FROM candidates c) AS candidates,
       (SELECT seconds::text FROM window_length) AS window_seconds`,
    [
      news.map((event) => event.trade.tradeId),
      news.map((event) => event.trade.version),
      news.map((event) => event.trade.account),
      news.map((event) => event.trade.beneficialOwner ?? null),
      news.map((event) => event.trade.isin),
      news.map((event) => event.trade.tradeTime),
      THRESHOLD_KEYS.washTradeWindowSeconds,
      DEFAULT_VALIDATION_THRESHOLDS.washTradeWindowSeconds,
      [...new Set(news.map((event) => event.trade.isin))],
    ],
  );
  const row = rows[0];
  if (row === undefined) throw new Error('the wash-trade check returned no row');
  const windowSeconds = Number(row.window_seconds);
  const executions: RecentExecution[] = row.candidates.map((candidate) => ({
    execId: candidate.exec_id,
    tradeId: candidate.trade_id,
    beneficialOwner: candidate.beneficial_owner,
    isin: candidate.isin,
    side: candidate.side,
    quantity: new Dec(candidate.quantity),
    price: new Dec(candidate.price),
    tradeTime: candidate.trade_time,
  }));
  const claimedVersions = new Set<string>();
  news.forEach((event, index) => {
    const { trade } = event;
    const facts = row.batch[index];
    const version = `${trade.tradeId}|${trade.version}`;
    if (facts === undefined || facts.taken || claimedVersions.has(version)) return;
    claimedVersions.add(version);
    if (facts.owner === null) return;
    const match = findWashTrade(trade, facts.owner, executions, windowSeconds);
    if (match !== undefined) {
      washes.set(event, washTradeViolation(trade, facts.owner, match, windowSeconds));
      return;
    }
    // Booked by this batch (unless a later statement refuses it): a leg for the NEWs after it, as in validation.
    const { execId, tradeId, isin, side, quantity, price, tradeTime } = trade;
    executions.push({ execId, tradeId, beneficialOwner: facts.owner, isin, side, quantity, price, tradeTime });
  });
  return washes;
}
