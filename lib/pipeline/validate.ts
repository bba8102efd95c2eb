/**
 * The validation and compliance stage: decoded records from `trades.captured` → `trades.validated`,
 * `trades.rejected` (with every reason, also stored in trade_rejections) or `trades.deadletter`.
 *
 * Accounting: every record of a batch gets exactly one outcome, so captured = validated + rejected +
 * dead-lettered + redelivered + delivered before. The outcomes are those this call delivered (lib/pipeline/outbox.ts):
 * a record whose outcome an earlier delivery of the batch delivered, or a run of the same batch at the same time,
 * counts as delivered before only, so that the Rejected and RejectedByRule metrics count each rejection once; a
 * batch retried after a failed publish counts what it delivers. Redelivery is told from a genuine duplicate before validating: a record whose
 * coordinates were already decided keeps its decision (only what was not yet published is published), and a record
 * at a new offset with an ExecID already captured with identical content is a resend — a no-op. Only a different
 * execution reusing an ExecID reaches the DUPLICATE_EXEC_ID rule.
 */
import { createHash } from 'node:crypto';

import type { ReferenceDataStore } from '../db/reference-store';
import type { TradeStore } from '../db/trade-store';
import type { Trade } from '../domain/trade';
import { validateBatch } from '../domain/validation';
import { encodeDeadLetter, deadLetterKey, deadLetterTopic, Stage } from '../kafka/dead-letter';
import type { DecodeError, DecodedRecord } from '../kafka/decode';
import type { EventPublisher } from '../kafka/producer';
import { encodeRejectedTradeEvent, encodeTradeEvent, encodeValidatedTradeEvent } from '../kafka/schemas/trade-event';
import { Topics } from '../kafka/topics';
import { traceContextOf, traceHeaders } from '../observability/correlation';
import { countByRule } from '../observability/metrics';
import { CaptureOutcome, coordinatesKey, type CaptureDecision, type PgCaptureLedger } from './capture-ledger';
import { deliverDecisions } from './outbox';
import { tradeKey } from './trade-keys';

export interface ValidateDeps {
  readonly referenceData: ReferenceDataStore;
  readonly trades: Pick<TradeStore, 'recordRejections'>;
  readonly ledger: PgCaptureLedger;
  readonly publisher: EventPublisher;
  readonly now?: () => Date;
}

/**
 * What a batch came to; `captured` = validated + rejected + deadLettered + redelivered + deliveredBefore, each
 * outcome one this call delivered.
 */
export interface ValidationSummary {
  readonly captured: number;
  readonly validated: number;
  readonly rejected: number;
  /** How many of the trades this call rejected each rule refused (the RejectedByRule metric). */
  readonly rejectedByRule: Readonly<Record<string, number>>;
  readonly deadLettered: number;
  readonly redelivered: number;
  /** Records whose outcome was delivered by an earlier (or a concurrent) run: it stands and is not counted again. */
  readonly deliveredBefore: number;
  /** Messages published by this call (0 when the whole batch had been delivered before). */
  readonly published: number;
}

/** SHA-256 of the canonical event: two captures of the same execution hash alike, whatever their JSON layout. */
export function tradeContentHash(trade: Trade): string {
  return createHash('sha256')
    .update(JSON.stringify(encodeTradeEvent(trade)))
    .digest('hex');
}

/** Dead-letter decision of `stage` for a record that did not decode (the wrapper of lib/kafka/dead-letter.ts). */
export function deadLetterDecision(
  record: DecodedRecord<unknown>['record'],
  stage: Stage,
  errors: readonly DecodeError[],
  at: string,
): CaptureDecision {
  const value = encodeDeadLetter(record, stage, errors, at);
  // The wrapper keeps every header of the record; the dead letter's own headers say whose it was, for `trace`.
  const headers = traceHeaders(traceContextOf(record, { isCapture: record.source.topic === Topics.TRADES_CAPTURED }));
  return {
    source: record.source,
    outcome: CaptureOutcome.DEAD_LETTER,
    message: { topic: deadLetterTopic(record.source.topic), key: deadLetterKey(record), value, headers },
    rejection: { event: value, reasons: value.reasons, rejectedAt: at },
  };
}

/** Validates a batch of decoded `trades.captured` records and delivers every outcome (see module TSDoc). */
export async function validateCapturedTrades(
  records: readonly DecodedRecord<Trade>[],
  deps: ValidateDeps,
): Promise<ValidationSummary> {
  const at = (deps.now ?? (() => new Date()))().toISOString();
  const sources = records.map((record) => record.record.source);
  const decided = await deps.ledger.decisions(sources);
  const fresh = records.filter((record) => !decided.has(coordinatesKey(record.record.source)));

  const decisions: CaptureDecision[] = [];
  const toValidate: { trade: Trade; hash: string; record: DecodedRecord<Trade>['record'] }[] = [];
  const decoded = fresh.filter((record) => record.ok);
  const prior = await deps.ledger.priorCaptures(decoded.map((record) => record.value.execId));
  const captured = new Set(prior.map((capture) => `${capture.execId}|${capture.contentHash ?? ''}`));
  for (const record of fresh) {
    if (!record.ok) {
      decisions.push(deadLetterDecision(record.record, Stage.VALIDATE_TRADES, record.errors, at));
      continue;
    }
    const hash = tradeContentHash(record.value);
    const identity = `${record.value.execId}|${hash}`;
    if (captured.has(identity)) {
      decisions.push({
        source: record.record.source,
        outcome: CaptureOutcome.REDELIVERED,
        execId: record.value.execId,
        contentHash: hash,
      });
    } else {
      captured.add(identity);
      toValidate.push({ trade: record.value, hash, record: record.record });
    }
  }

  if (toValidate.length > 0) {
    const snapshot = await deps.referenceData.validationSnapshot(toValidate.map((item) => item.trade));
    // Accepted trades not yet booked are not in the store's "seen" set: the ledger knows them.
    const seenExecIds = new Set([...snapshot.seenExecIds, ...prior.map((capture) => capture.execId)]);
    // trades.validated keeps trades.captured's key, the account's owner, so that persistence decides one owner's
    // trades (the wash-trade rule's legs) in the order validation did (lib/pipeline/trade-keys.ts).
    const owners = new Map([...snapshot.accounts].map(([id, account]) => [id, account.beneficialOwner]));
    const results = validateBatch(
      toValidate.map((item) => item.trade),
      { ...snapshot, seenExecIds },
    );
    results.forEach(({ trade, result }, index) => {
      const item = toValidate[index];
      if (item === undefined) return;
      const trace = traceContextOf(item.record, { isCapture: true });
      const headers = traceHeaders(trace);
      const common = {
        source: item.record.source,
        execId: trade.execId,
        contentHash: item.hash,
        ...(trace === undefined ? {} : { trace: { ...trace, tradeId: trade.tradeId } }),
      };
      if (result.ok) {
        decisions.push({
          ...common,
          outcome: CaptureOutcome.VALIDATED,
          message: {
            topic: Topics.TRADES_VALIDATED,
            key: tradeKey(trade.account, owners),
            value: encodeValidatedTradeEvent(result.value, at),
            headers,
          },
        });
      } else {
        const reasons = result.errors.map(({ code, message }) => ({ code, message }));
        const value = encodeRejectedTradeEvent(trade, reasons, at);
        decisions.push({
          ...common,
          outcome: CaptureOutcome.REJECTED,
          message: { topic: Topics.TRADES_REJECTED, key: trade.account, value, headers },
          rejection: { execId: trade.execId, tradeId: trade.tradeId, event: value.trade, reasons, rejectedAt: at },
        });
      }
    });
  }

  const recorded = await deps.ledger.record(decisions);
  // Every record of the batch, so what an earlier run recorded but did not deliver goes out (and counts) now.
  const delivered = await deliverDecisions(sources, deps);
  const ours = [
    ...delivered.delivered,
    ...decisions.filter((decision) => decision.message === undefined && recorded.has(coordinatesKey(decision.source))),
  ];
  const count = (outcome: CaptureOutcome): number => ours.filter((decision) => decision.outcome === outcome).length;
  return {
    captured: records.length,
    validated: count(CaptureOutcome.VALIDATED),
    rejected: count(CaptureOutcome.REJECTED),
    rejectedByRule: countByRule(
      ours.flatMap((decision) =>
        decision.outcome === CaptureOutcome.REJECTED && decision.rejection !== undefined
          ? [decision.rejection.reasons]
          : [],
      ),
    ),
    deadLettered: count(CaptureOutcome.DEAD_LETTER),
    redelivered: count(CaptureOutcome.REDELIVERED),
    deliveredBefore: records.length - ours.length,
    published: delivered.published,
  };
}
