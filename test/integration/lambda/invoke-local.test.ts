/**
 * `sls invoke local -f <function> --path test/events/<file>.json` for every Kafka-triggered function and dailyPnl,
 * as a developer runs it against the stack: the real serverless.yml, serverless-esbuild's bundle, the function's
 * environment from its params (DATABASE_URL and KAFKA_BROKERS from the environment), a migrated database with the
 * seed's reference data and a broker to publish to. The fixtures are the sample events in test/events; each
 * invocation must exit 0 and leave its effect in PostgreSQL or on a topic.
 *
 * The fixtures form one story, so the invocations run in pipeline order and each finds what it needs:
 * validate (2024-04-02 trades) -> persist books TR-20240402-0001 (ACC-001 buys 100 AAPL @ 170.10) -> settle T1
 * (ACC-001 buys 100 AAPL @ 189.98 on 2024-05-24, net instruction NID2F3B8C1F508D2) -> positions -> the
 * custodian's MATCHED and SETTLED reports for that instruction -> its 2024-05-29 statement with an unbooked
 * 12.50 USD custody fee -> the daily report of 2024-05-28. osls invokes one function per process, so each step is
 * one `sls invoke local` (about 4 s each).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';

import { Topics, topicSpecs, type Topic } from '../../../lib/kafka/topics';
import { loadReferenceData } from '../../../lib/refdata/load';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { OSLS, ROOT, slsEnv } from '../offline-helpers';

const SEED = path.join(ROOT, 'migrations', 'seed');
const INVOKE_TIMEOUT_MS = 30_000;
/** How long a process may take to end after printing its result. */
const EXIT_GRACE_MS = 1_500;

let db: TestDatabase;
let broker: TestBroker;
let admin: Admin;
/** Whether each invocation's process ended by itself once it had printed its result. */
const exitedByItself = new Map<string, boolean>();

interface Invocation {
  /** What the function returned (or osls's `{ errorMessage, ... }` when it threw), as printed on stdout. */
  readonly result: Record<string, unknown>;
  /** Everything printed, for failure messages. */
  readonly output: string;
}

/**
 * Runs `sls invoke local -f fn --path test/events/<fixture>` asynchronously (the broker runs in this process, so a
 * blocking spawn would stop it from answering the function's producer). osls prints exactly the result as JSON on
 * stdout, an error included (then it also sets exit code 1). The invocation is over once that JSON is complete: a
 * process still running a grace period later is stopped here, and noted in `exitedByItself` (see the last test).
 */
/**
 * stdout without the functions' EMF metric documents (lib/observability/metrics.ts): in Lambda stdout is the log
 * stream, so the metrics go there as one JSON line each, beside the result osls prints.
 */
function withoutMetrics(stdout: string): string {
  return stdout
    .split('\n')
    .filter((line) => !line.startsWith('{"_aws":'))
    .join('\n');
}

function invokeLocal(fn: string, fixture: string): Promise<Invocation> {
  const args = [OSLS, 'invoke', 'local', '-f', fn, '--path', path.join('test', 'events', fixture)];
  const env = slsEnv({ DATABASE_URL: db.url, KAFKA_BROKERS: broker.address, STAGE: 'local', LOG_LEVEL: 'WARN' });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    let grace: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`sls invoke local -f ${fn} printed no result within ${INVOKE_TIMEOUT_MS} ms:\n${stdout}${stderr}`),
      );
    }, INVOKE_TIMEOUT_MS);
    const printed = (): Record<string, unknown> | undefined => {
      try {
        const json: unknown = JSON.parse(withoutMetrics(stdout));
        return typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : undefined;
      } catch {
        return undefined;
      }
    };
    const finish = (byItself: boolean, code: number | null): void => {
      clearTimeout(timer);
      clearTimeout(grace);
      exitedByItself.set(fn, byItself);
      const result = printed() ?? { errorMessage: `no result printed (exit code ${String(code)})` };
      resolve({ result, output: `${stdout}${stderr}` });
    };
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (grace !== undefined || printed() === undefined) return;
      grace = setTimeout(() => {
        child.removeAllListeners('exit');
        child.kill('SIGKILL');
        finish(false, null);
      }, EXIT_GRACE_MS);
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('error', reject);
    child.once('exit', (code) => finish(code === 0, code));
  });
}

/** The invocation's error message (empty when the function succeeded), so a failure shows the whole output. */
function errorOf(invocation: Invocation): string {
  return 'errorMessage' in invocation.result ? invocation.output : '';
}

/** Messages on a topic so far: the sum of its partitions' high watermarks (every topic starts empty). */
async function published(topic: Topic): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

beforeAll(async () => {
  [db, broker] = await Promise.all([createTestDatabase(), startTestBroker()]);
  await loadReferenceData(db.pool, SEED);
  admin = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: topicSpecs() });
});

afterAll(async () => {
  await admin.disconnect();
  await Promise.all([db.drop(), broker.destroy()]);
});

describe('sls invoke local with the sample events', () => {
  test('eodPrices stores the latest price per instrument and date', async () => {
    // Act
    const result = await invokeLocal('eodPrices', 'prices-eod.json');

    // Assert
    expect(errorOf(result)).toBe('');
    const { rows } = await db.pool.query<{ price: string; source: string }>(
      `SELECT price::text, source FROM reference_prices WHERE isin = 'US0378331005' AND price_date = '2024-07-01'`,
    );
    expect(rows).toEqual([{ price: '190.15', source: 'BLOOMBERG-CORRECTION' }]);
  });

  test('validateTrades records the captured trades and publishes each decision', async () => {
    // Act
    const result = await invokeLocal('validateTrades', 'trades-captured.json');

    // Assert
    expect(errorOf(result)).toBe('');
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM trade_captures');
    expect(rows).toEqual([{ n: 3 }]);
    // EX-20240402-0001 passes; EX-20240402-0002 breaks a rule; the third record is not valid JSON.
    expect(result.result).toMatchObject({ captured: 3, validated: 1, rejected: 1, deadLettered: 1, published: 3 });
    expect(await published(Topics.TRADES_VALIDATED)).toBe(1);
    expect(await published(Topics.TRADES_REJECTED)).toBe(1);
    expect(await published(Topics.TRADES_DEAD_LETTER)).toBe(1);
  });

  test('persistTrades books the validated trade and publishes it to trades.booked', async () => {
    // Act
    const result = await invokeLocal('persistTrades', 'trades-validated.json');

    // Assert
    expect(errorOf(result)).toBe('');
    const { rows } = await db.pool.query<{ account_id: string; quantity: string; price: string }>(
      `SELECT account_id, quantity::text, price::text FROM trade_versions WHERE trade_id = 'TR-20240402-0001'`,
    );
    expect(result.result).toMatchObject({ received: 1, booked: 1, duplicates: 0, conflicts: 0, published: 1 });
    expect(rows).toEqual([{ account_id: 'ACC-001', quantity: '100', price: '170.1' }]);
    expect(await published(Topics.TRADES_BOOKED)).toBe(1);
  });

  test('settleTrades instructs the booked trade and publishes the instructions', async () => {
    // Act
    const result = await invokeLocal('settleTrades', 'trades-booked.json');

    // Assert
    expect(errorOf(result)).toBe('');
    const { rows } = await db.pool.query<{ net_instruction_id: string; state: string; net_cash: string }>(
      `SELECT net_instruction_id, state, net_cash::text FROM net_instructions`,
    );
    // 100 x 189.98 + 1.00 commission + 0.05 fees, paid: -18999.05.
    expect(rows).toEqual([{ net_instruction_id: 'NID2F3B8C1F508D2', state: 'INSTRUCTED', net_cash: '-18999.05' }]);
    expect(result.result).toMatchObject({ instructed: 1, exceptions: 0, published: 2 });
    expect(await published(Topics.SETTLEMENT_INSTRUCTIONS)).toBe(2);
  });

  test('positions rebuilds the touched position from the booked versions', async () => {
    // Act
    const result = await invokeLocal('positions', 'trades-booked.json');

    // Assert
    expect(errorOf(result)).toBe('');
    // Rebuilt by replay of what persistTrades stored for ACC-001 / AAPL: TR-20240402-0001, 100 @ 170.10.
    const { rows } = await db.pool.query<{ quantity: string }>(
      `SELECT quantity::text FROM positions WHERE account_id = 'ACC-001' AND isin = 'US0378331005'`,
    );
    expect(rows.map((r) => Number(r.quantity))).toEqual([100]);
  });

  test('settlementStatus moves the net instruction through MATCHED to SETTLED', async () => {
    // Act
    const result = await invokeLocal('settlementStatus', 'settlement-status.json');

    // Assert
    expect(errorOf(result)).toBe('');
    const { rows } = await db.pool.query<{ state: string; matched: boolean; settled_cash: string }>(
      `SELECT state, matched, settled_cash::text FROM net_instructions WHERE net_instruction_id = 'NID2F3B8C1F508D2'`,
    );
    expect(result.result).toMatchObject({ outcomes: { APPLIED: 2, DUPLICATE: 0, STALE: 0, ILLEGAL: 0 } });
    expect(rows).toEqual([{ state: 'SETTLED', matched: true, settled_cash: '-18999.05' }]);
  });

  test('reconcile stores the statement and publishes its unbooked custody fee as a FEES break', async () => {
    // Act
    const result = await invokeLocal('reconcile', 'custody-statements.json');

    // Assert
    expect(errorOf(result)).toBe('');
    const statements = await db.pool.query<{ statement_id: string }>('SELECT statement_id FROM custody_statements');
    expect(statements.rows).toEqual([{ statement_id: 'IRVTUS3N-2024-05-29' }]);
    // Books -18999.05, custodian -19011.55: the 12.50 difference is the custodian's FEE posting.
    const breaks = await db.pool.query<{ break_class: string; status: string }>(
      'SELECT break_class, status FROM recon_breaks',
    );
    expect(breaks.rows).toEqual([{ break_class: 'FEES', status: 'OPEN' }]);
    expect(result.result).toMatchObject({ statements: 1, opened: 1, resolved: 0 });
    expect(await published(Topics.RECON_BREAKS)).toBe(1);
  });

  test('dailyPnl stores the report of the date it is given', async () => {
    // Act
    const result = await invokeLocal('dailyPnl', 'daily-pnl.json');

    // Assert
    expect(errorOf(result)).toBe('');
    const { rows } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM daily_pnl_reports WHERE report_date = '2024-05-28'`,
    );
    expect(rows).toEqual([{ n: 1 }]);
    // ACC-001's 100 AAPL (booked by persistTrades): 100 x (157.17 on 2024-05-28 - 160.78 on 2024-05-24) = -361.00.
    expect(result.result).toEqual({
      reportDate: '2024-05-28',
      positions: 1,
      notValued: 0,
      totals: [{ baseCurrency: 'USD', totalToday: '-361.00' }],
    });
  });

  // The container-wide pool and producer would keep the event loop alive; releaseAfterLocalInvoke closes them.
  it('every invocation exits by itself once it has printed its result', () => {
    expect([...exitedByItself].filter(([, exited]) => !exited).map(([fn]) => fn)).toEqual([]);
  });
});
