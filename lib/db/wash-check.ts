/**
 * The wash-trade rule's data access, one query for both stages that apply the rule (findWashTrade,
 * lib/domain/validation/duplicates.ts): validation's snapshot (PgReferenceDataStore.recentExecutions) and booking,
 * which checks again against what is booked now (washTradesAmong, under bookEvents' owner-and-ISIN locks).
 */
import type { Pool, PoolClient } from 'pg';

import { Dec } from '../domain/money';
import { DEFAULT_VALIDATION_THRESHOLDS } from '../domain/refdata';
import type { Side, Trade } from '../domain/trade';
import type { RecentExecution } from '../domain/validation/context';
import { findWashTrade, washTradeViolation } from '../domain/validation/duplicates';
import { THRESHOLD_KEYS } from './thresholds';
import { isNew, type CapturedEvent } from './trade-rows';
import type { RejectionReason } from './trade-store';

/** What the rule needs of a trade to be checked; its trade id and version to tell whether it is booked already. */
type WashLeg = Pick<Trade, 'account' | 'beneficialOwner' | 'isin' | 'tradeTime'> &
  Partial<Pick<Trade, 'tradeId' | 'version'>>;

interface WashCandidatesRow {
  /** Per leg, in order: its beneficial owner, and whether its trade id and version are booked already. */
  legs: { owner: string | null; taken: boolean }[];
  /** Live trades of the legs' owners in their ISINs near their trade times; decimals as text. */
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

export interface WashCandidates {
  /** Per leg, in order: its owner (stated on the trade, else the account's; null when neither is known). */
  readonly owners: readonly (string | null)[];
  /** Per leg, in order: whether its trade id and version are booked already (false without them). */
  readonly taken: readonly boolean[];
  /** Live executions of the legs' owners in their ISINs within the window of their trade times, by time. */
  readonly executions: RecentExecution[];
  readonly windowSeconds: number;
}

/**
 * Live booked executions that `legs` could wash against, in one query on the index of live trades by ISIN and
 * time: what validation snapshots and what booking checks again, so the two can never disagree on the candidates.
 */
export async function liveExecutionsNear(
  db: Pick<Pool | PoolClient, 'query'>,
  legs: readonly WashLeg[],
): Promise<WashCandidates> {
  const { rows } = await db.query<WashCandidatesRow>(
    // The window and the legs' time span are scalar subqueries (init plans), so that the trade-time bounds are
    // index conditions on trades_live_isin_time: the scan reads the ISIN's live trades near the legs, not all.
    `WITH legs AS (
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
         AND t.trade_time BETWEEN (SELECT min(at) FROM legs) - (SELECT w FROM window_length)
                              AND (SELECT max(at) FROM legs) + (SELECT w FROM window_length)
         AND EXISTS (
           SELECT 1 FROM legs b
           WHERE b.isin = t.isin AND b.owner = coalesce(t.beneficial_owner, ta.beneficial_owner)
             AND t.trade_time BETWEEN b.at - (SELECT w FROM window_length) AND b.at + (SELECT w FROM window_length)))
     SELECT
       (SELECT coalesce(json_agg(json_build_object('owner', owner, 'taken', taken) ORDER BY ord), '[]'::json)
        FROM legs) AS legs,
       (SELECT coalesce(json_agg(c ORDER BY c.trade_time, c.exec_id), '[]'::json) FROM candidates c) AS candidates,
       (SELECT seconds::text FROM window_length) AS window_seconds`,
    [
      legs.map((leg) => leg.tradeId ?? null),
      legs.map((leg) => leg.version ?? null),
      legs.map((leg) => leg.account),
      legs.map((leg) => leg.beneficialOwner ?? null),
      legs.map((leg) => leg.isin),
      legs.map((leg) => leg.tradeTime),
      THRESHOLD_KEYS.washTradeWindowSeconds,
      DEFAULT_VALIDATION_THRESHOLDS.washTradeWindowSeconds,
      [...new Set(legs.map((leg) => leg.isin))],
    ],
  );
  const row = rows[0];
  if (row === undefined) throw new Error('the wash-trade candidates query returned no row');
  return {
    owners: row.legs.map((leg) => leg.owner),
    taken: row.legs.map((leg) => leg.taken),
    executions: row.candidates.map((candidate) => ({
      execId: candidate.exec_id,
      tradeId: candidate.trade_id,
      beneficialOwner: candidate.beneficial_owner,
      isin: candidate.isin,
      side: candidate.side,
      quantity: new Dec(candidate.quantity),
      price: new Dec(candidate.price),
      tradeTime: candidate.trade_time,
    })),
    windowSeconds: Number(row.window_seconds),
  };
}

/**
 * The NEWs among `events` (in batch order) that wash against a live booked trade or an earlier NEW of the batch,
 * with their WASH_TRADE reason: validation's rule (findWashTrade) on what is booked now ({@link liveExecutionsNear}),
 * under the owner-and-ISIN locks taken by bookEvents. A NEW whose trade id and version are already claimed is left
 * to the version conflict it will be, and is nobody's wash-trade leg.
 */
export async function washTradesAmong(
  client: PoolClient,
  events: readonly CapturedEvent[],
): Promise<Map<CapturedEvent, RejectionReason>> {
  const news = events.filter(isNew);
  const washes = new Map<CapturedEvent, RejectionReason>();
  if (news.length === 0) return washes;
  const { owners, taken, executions, windowSeconds } = await liveExecutionsNear(
    client,
    news.map((event) => event.trade),
  );
  const claimedVersions = new Set<string>();
  news.forEach((event, index) => {
    const { trade } = event;
    const owner = owners[index];
    const version = `${trade.tradeId}|${trade.version}`;
    if (owner === undefined || taken[index] === true || claimedVersions.has(version)) return;
    claimedVersions.add(version);
    if (owner === null) return;
    const match = findWashTrade(trade, owner, executions, windowSeconds);
    if (match !== undefined) {
      washes.set(event, washTradeViolation(trade, owner, match, windowSeconds));
      return;
    }
    // Booked by this batch (unless a later statement refuses it): a leg for the NEWs after it, as in validation.
    const { execId, tradeId, isin, side, quantity, price, tradeTime } = trade;
    executions.push({ execId, tradeId, beneficialOwner: owner, isin, side, quantity, price, tradeTime });
  });
  return washes;
}
