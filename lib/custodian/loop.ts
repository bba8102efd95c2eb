/**
 * The custodian simulator on Kafka: consumes `settlement.instructions`, sends the planned status reports to
 * `settlement.status` after their delays, and publishes statements to `custody.statements` on request.
 *
 * Two clocks. The wall clock (default) sends each report `step` delays after the instruction arrived, whatever
 * its status date: a quick answer for a stack someone is trying out. The business-date clock follows simulated
 * days: `openDay(D)` makes D the custodian's today (nothing it receives is reported before D), and `closeDay(D)`
 * sends every report due by the close of D (status date on or before D), in date order: an instruction matches
 * the business day before its settlement date and settles, fails or settles in part on it, as days go by.
 *
 * It reads the instruction topic from the beginning on every start (a fresh consumer group) and so rebuilds its
 * books; the reports it sends again carry the same message ids, which the status handler ignores. Reports are sent
 * through one chain, so one instruction's reports keep their order on the wire.
 */
import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';

import { messageOf } from '../kafka/errors';
import { patiently } from '../kafka/patiently';
import { KafkaPublisher, createKafkaProducer } from '../kafka/producer';
import { decodeSettlementInstructionMessage } from '../kafka/schemas/settlement-instruction';
import { parseStrictJson } from '../kafka/strict-json';
import { Topics } from '../kafka/topics';
import type { CustodyStatementV1 } from '../kafka/schemas/custody-statement';
import { CustodianSimulator, type CustodianOptions } from './custodian';
import type { PlannedReport } from './decide';
import type { LastingBreakResult, LastingDifferences } from './lasting-breaks';
import type { InjectedBreak } from './statement';

export interface CustodianLoopOptions extends CustodianOptions {
  readonly brokers: readonly string[];
  /** Wall-clock delay between one report of an instruction and the next (and before the first). */
  readonly delayMs: number;
  /** Where notes go (refused cancellations, undecodable messages); stderr by default. */
  readonly log?: (line: string) => void;
  /** The `sentAt` clock; now by default. */
  readonly now?: () => Date;
  /** When reports go out (see the module note); 'wall' by default. */
  readonly clock?: 'wall' | 'business-date';
}

export interface RunningCustodian {
  readonly simulator: CustodianSimulator;
  /** Resolves once every instruction on the topic has been read and every planned report sent. */
  idle(): Promise<void>;
  /**
   * Business-date clock: D is the custodian's today from now on. Dates must not go back; a date earlier than
   * today's is refused.
   */
  openDay(date: string): void;
  /**
   * Business-date clock: once every instruction on the topic has been read, sends every report due by the close
   * of `date` (and not withdrawn), in status-date order; resolves with their message ids once all are sent.
   */
  closeDay(date: string): Promise<string[]>;
  /**
   * Publishes the statements of `statementDate` with the differences `lasting` has open on it
   * ({@link CustodianSimulator.lastingStatements}), and returns them with those differences.
   */
  publishLastingStatements(statementDate: string, lasting: LastingDifferences): Promise<LastingBreakResult>;
  /** Publishes the statements of `statementDate` (see {@link CustodianSimulator.statements}). */
  publishStatements(
    statementDate: string,
    breaks?: Parameters<CustodianSimulator['statements']>[1],
  ): Promise<{ statement: CustodyStatementV1; injected: InjectedBreak[] }[]>;
  /** Stops consuming, drops reports not yet due, and disconnects. */
  stop(): Promise<void>;
  /** Counts, for a summary. */
  stats(): { readonly instructionsRead: number; readonly reportsSent: number };
}

/** Status reports per publish at the close of a business day. */
const CLOSE_OF_DAY_BATCH = 500;

export async function runCustodian(options: CustodianLoopOptions): Promise<RunningCustodian> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const simulator = new CustodianSimulator(options);
  const kafka = new Kafka({
    brokers: [...options.brokers],
    clientId: 'posttrade-custodian',
    logLevel: logLevel.NOTHING,
  });
  const publisher = new KafkaPublisher(
    createKafkaProducer({ brokers: options.brokers, clientId: 'posttrade-custodian' }),
  );
  const admin: Admin = kafka.admin();
  const consumer: Consumer = kafka.consumer({ groupId: `posttrade-custodian-${process.pid}-${Date.now()}` });
  const timers = new Map<string, Set<NodeJS.Timeout>>();
  const processed = new Map<number, number>();
  let chain: Promise<void> = Promise.resolve();
  let failure: Error | undefined;
  let instructionsRead = 0;
  let reportsSent = 0;
  let stopped = false;
  const businessDates = options.clock === 'business-date';
  /** Business-date clock: the custodian's today, and the reports planned but not yet due. */
  let today: string | undefined;
  const due = new Map<string, PlannedReport[]>();

  /** Sends the reports, in order, in one publish (the order is kept per account, the topic's key). */
  const send = (...reports: PlannedReport[]) => {
    chain = chain.then(async () => {
      if (stopped || reports.length === 0) return;
      try {
        const sentAt = now().toISOString();
        await publisher.publish(
          reports.map((report) => {
            const status = simulator.statusMessage(report, sentAt);
            return { topic: Topics.SETTLEMENT_STATUS, key: status.account, value: status };
          }),
        );
        for (const report of reports) simulator.markSent(report);
        reportsSent += reports.length;
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
        const ids = reports.map((r) => r.messageId);
        log(`custodian: sending ${ids.join(', ')} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  };
  const schedule = (report: PlannedReport) => {
    if (businessDates) {
      due.set(report.instructionId, [...(due.get(report.instructionId) ?? []), report]);
      return;
    }
    const pending = timers.get(report.instructionId) ?? new Set<NodeJS.Timeout>();
    const timer = setTimeout(() => {
      pending.delete(timer);
      if (pending.size === 0) timers.delete(report.instructionId);
      send(report);
    }, report.step * options.delayMs);
    pending.add(timer);
    timers.set(report.instructionId, pending);
  };

  await Promise.all([admin.connect(), consumer.connect()]);
  await consumer.subscribe({ topic: Topics.SETTLEMENT_INSTRUCTIONS, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      instructionsRead += 1;
      // The same strict reading as every stage's decoder: not UTF-8, a duplicate key or unstorable text is skipped.
      const json = parseStrictJson(message.value ?? Buffer.alloc(0));
      const decoded = json.ok
        ? decodeSettlementInstructionMessage(json.value)
        : ({ ok: false, errors: json.errors } as const);
      if (!decoded.ok) {
        log(`custodian: skipped undecodable instruction at ${partition}/${message.offset}`);
      } else {
        const reaction = simulator.receive(decoded.value, today);
        for (const id of reaction.withdraw) {
          for (const timer of timers.get(id) ?? []) clearTimeout(timer);
          timers.delete(id);
          due.delete(id);
        }
        if (reaction.note !== undefined) log(`custodian: ${reaction.note}`);
        for (const report of reaction.send) schedule(report);
      }
      processed.set(partition, Number(message.offset));
      return Promise.resolve();
    },
  });

  const caughtUp = async (): Promise<boolean> => {
    const offsets = await patiently(() => admin.fetchTopicOffsets(Topics.SETTLEMENT_INSTRUCTIONS), {
      forMs: 60_000,
      onRetry: (error) => log(`custodian: end offsets not read (${messageOf(error)}); trying again`),
    });
    return offsets.every((o) => Number(o.high) === 0 || (processed.get(o.partition) ?? -1) + 1 >= Number(o.high));
  };

  const idle = async (): Promise<void> => {
    for (;;) {
      if (failure !== undefined) throw failure;
      if (timers.size === 0 && (await caughtUp()) && timers.size === 0) {
        await chain;
        if (timers.size === 0) return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  return {
    simulator,
    idle,
    openDay(date) {
      if (!businessDates) throw new Error('openDay needs the business-date clock');
      if (today !== undefined && date < today) throw new RangeError(`the custodian's day is ${today}, not ${date}`);
      today = date;
    },
    async closeDay(date) {
      if (!businessDates) throw new Error('closeDay needs the business-date clock');
      await idle();
      const ready = [...due.values()]
        .flat()
        .filter((report) => report.statusDate <= date)
        .sort(
          (a, b) =>
            (a.statusDate < b.statusDate ? -1 : a.statusDate > b.statusDate ? 1 : 0) ||
            (a.instructionId < b.instructionId ? -1 : a.instructionId > b.instructionId ? 1 : 0) ||
            a.step - b.step,
        );
      for (const report of ready) {
        const rest = (due.get(report.instructionId) ?? []).filter((r) => r.messageId !== report.messageId);
        if (rest.length === 0) due.delete(report.instructionId);
        else due.set(report.instructionId, rest);
      }
      for (let start = 0; start < ready.length; start += CLOSE_OF_DAY_BATCH) {
        send(...ready.slice(start, start + CLOSE_OF_DAY_BATCH));
      }
      await chain;
      if (failure !== undefined) throw failure;
      return ready.map((report) => report.messageId);
    },
    async publishLastingStatements(statementDate, lasting) {
      const result = simulator.lastingStatements(statementDate, lasting);
      await publisher.publish(
        result.statements.map((s) => ({
          topic: Topics.CUSTODY_STATEMENTS,
          key: s.statement.custodian,
          value: s.statement,
        })),
      );
      return result;
    },
    async publishStatements(statementDate, breaks) {
      const statements = simulator.statements(statementDate, breaks);
      await publisher.publish(
        statements.map((s) => ({ topic: Topics.CUSTODY_STATEMENTS, key: s.statement.custodian, value: s.statement })),
      );
      return statements;
    },
    async stop() {
      stopped = true;
      for (const set of timers.values()) for (const timer of set) clearTimeout(timer);
      timers.clear();
      await consumer.disconnect();
      await chain;
      await Promise.all([publisher.disconnect(), admin.disconnect()]);
    },
    stats: () => ({ instructionsRead, reportsSent }),
  };
}
