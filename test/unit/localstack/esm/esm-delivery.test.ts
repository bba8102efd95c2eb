import {
  backoffDelay,
  bisect,
  deliverBatch,
  judgeInvocation,
  kafkaItemIdentifier,
  type DeliveryEffects,
  type DeliveryPolicy,
  type FailureInfo,
  type FetchedRecord,
  type InvocationOutcome,
} from '../../../../localstack/esm';

function records(...offsets: number[]): FetchedRecord[] {
  return offsets.map((offset) => ({
    topic: 'trades',
    partition: 2,
    offset,
    timestamp: 1_000,
    timestampType: 'CREATE_TIME',
    key: null,
    value: Buffer.from(String(offset)),
    headers: [],
  }));
}

const POLICY: DeliveryPolicy = {
  reportBatchItemFailures: false,
  bisectBatchOnFunctionError: false,
  maximumRetryAttempts: -1,
  maximumRecordAgeMs: -1,
  backoff: { initialMs: 100, maxMs: 1_000 },
};

/** Fake effects: the function is a script of outcomes per invocation; everything else is recorded. */
function harness(fn: (offsets: number[], call: number) => InvocationOutcome, stopAfterCalls = Infinity) {
  const log = {
    invocations: [] as number[][],
    commits: [] as number[],
    discarded: [] as { offsets: number[]; failure: FailureInfo }[],
    waits: [] as number[],
  };
  const fx: DeliveryEffects = {
    invoke: (rs) => {
      const offsets = rs.map((r) => r.offset);
      log.invocations.push(offsets);
      return Promise.resolve(fn(offsets, log.invocations.length));
    },
    commit: (next) => {
      log.commits.push(next);
      return Promise.resolve();
    },
    discard: (rs, failure) => {
      log.discarded.push({ offsets: rs.map((r) => r.offset), failure });
      return Promise.resolve();
    },
    wait: (ms) => {
      log.waits.push(ms);
      return Promise.resolve();
    },
    stopping: () => log.invocations.length >= stopAfterCalls,
    now: () => 100_000,
  };
  return { fx, log };
}

const ok: InvocationOutcome = { ok: true, response: undefined };
const boom: InvocationOutcome = { ok: false, error: new TypeError('boom') };

describe('judgeInvocation', () => {
  const batch = records(10, 11, 12);

  it('treats any return value as success without ReportBatchItemFailures', () => {
    expect(
      judgeInvocation({ ok: true, response: { batchItemFailures: [{ itemIdentifier: 'x' }] } }, batch, false),
    ).toEqual({
      kind: 'success',
    });
  });

  it.each([[undefined], [null], [{}], [{ batchItemFailures: [] }], [{ batchItemFailures: null }], ['done']])(
    'reads %p as complete success',
    (response) => {
      expect(judgeInvocation({ ok: true, response }, batch, true)).toEqual({ kind: 'success' });
    },
  );

  it('resumes from the lowest reported record', () => {
    // Arrange
    const response = {
      batchItemFailures: [
        { itemIdentifier: 'trades-2-12' },
        { itemIdentifier: kafkaItemIdentifier({ topic: 'trades', partition: 2, offset: 11 }) },
      ],
    };

    // Act / Assert
    expect(judgeInvocation({ ok: true, response }, batch, true)).toEqual({ kind: 'partial', firstFailedIndex: 1 });
  });

  it.each([[''], [null], ['trades-2-99'], ['trades-3-11']])(
    'fails the whole batch for the identifier %p',
    (itemIdentifier) => {
      const verdict = judgeInvocation({ ok: true, response: { batchItemFailures: [{ itemIdentifier }] } }, batch, true);
      expect(verdict.kind).toBe('failure');
    },
  );
});

describe('bisect and backoff', () => {
  it('splits with the larger half first', () => {
    expect(bisect([1, 2, 3, 4, 5])).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('doubles from the initial delay up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, { initialMs: 100, maxMs: 1_000 }))).toEqual([
      100, 200, 400, 800, 1_000,
    ]);
  });
});

describe('deliverBatch', () => {
  it('commits after success, once, past the last record', async () => {
    // Arrange
    const { fx, log } = harness(() => ok);

    // Act
    await deliverBatch(records(5, 6, 7), POLICY, fx);

    // Assert
    expect(log.invocations).toEqual([[5, 6, 7]]);
    expect(log.commits).toEqual([8]);
  });

  it('retries the whole batch with growing backoff and commits nothing until it succeeds', async () => {
    // Arrange
    const { fx, log } = harness((_o, call) => (call <= 3 ? boom : ok));

    // Act
    await deliverBatch(records(5, 6, 7), POLICY, fx);

    // Assert
    expect(log.invocations).toEqual([
      [5, 6, 7],
      [5, 6, 7],
      [5, 6, 7],
      [5, 6, 7],
    ]);
    expect(log.waits).toEqual([100, 200, 400]);
    expect(log.commits).toEqual([8]);
  });

  it('after MaximumRetryAttempts hands the batch to the destination with the error, then moves on', async () => {
    // Arrange
    const { fx, log } = harness(() => boom);

    // Act
    await deliverBatch(records(5, 6), { ...POLICY, maximumRetryAttempts: 2 }, fx);

    // Assert: the first attempt plus 2 retries.
    expect(log.invocations).toHaveLength(3);
    expect(log.discarded).toEqual([
      {
        offsets: [5, 6],
        failure: {
          condition: 'RetryAttemptsExhausted',
          errorType: 'TypeError',
          errorMessage: 'boom',
          approximateInvokeCount: 3,
        },
      },
    ]);
    expect(log.commits).toEqual([7]);
  });

  it('bisects down to the poison record, delivering the rest in order', async () => {
    // Arrange: offset 6 always fails.
    const { fx, log } = harness((offsets) => (offsets.includes(6) ? boom : ok));

    // Act
    await deliverBatch(
      records(4, 5, 6, 7),
      { ...POLICY, bisectBatchOnFunctionError: true, maximumRetryAttempts: 1 },
      fx,
    );

    // Assert
    expect(log.invocations).toEqual([[4, 5, 6, 7], [4, 5], [6, 7], [6], [6], [7]]);
    expect(log.discarded.map((d) => d.offsets)).toEqual([[6]]);
    expect(log.commits).toEqual([6, 7, 8]);
  });

  it('commits up to the first failed item and retries from there', async () => {
    // Arrange
    const { fx, log } = harness((offsets, call) =>
      call === 1
        ? {
            ok: true,
            response: { batchItemFailures: [{ itemIdentifier: 'trades-2-7' }, { itemIdentifier: 'trades-2-6' }] },
          }
        : ok,
    );

    // Act
    await deliverBatch(records(4, 5, 6, 7), { ...POLICY, reportBatchItemFailures: true }, fx);

    // Assert
    expect(log.invocations).toEqual([
      [4, 5, 6, 7],
      [6, 7],
    ]);
    expect(log.commits).toEqual([6, 8]);
    expect(log.waits).toEqual([]);
  });

  it('counts a first-record failure as a retry and discards after the limit', async () => {
    // Arrange
    const { fx, log } = harness(() => ({
      ok: true,
      response: { batchItemFailures: [{ itemIdentifier: 'trades-2-4' }] },
    }));

    // Act
    await deliverBatch(records(4, 5), { ...POLICY, reportBatchItemFailures: true, maximumRetryAttempts: 1 }, fx);

    // Assert
    expect(log.invocations).toEqual([
      [4, 5],
      [4, 5],
    ]);
    expect(log.discarded.map((d) => d.offsets)).toEqual([[4, 5]]);
    expect(log.commits).toEqual([6]);
  });

  it('sends records older than MaximumRecordAgeInSeconds to the destination without invoking', async () => {
    // Arrange: now is 100,000 ms; the first two records are 99,000 ms old.
    const rs = records(1, 2, 3).map((r, i) => ({ ...r, timestamp: i < 2 ? 1_000 : 99_000 }));
    const { fx, log } = harness(() => ok);

    // Act
    await deliverBatch(rs, { ...POLICY, maximumRecordAgeMs: 60_000 }, fx);

    // Assert
    expect(log.discarded.map((d) => [d.offsets, d.failure.condition])).toEqual([[[1, 2], 'RecordAgeExceeded']]);
    expect(log.invocations).toEqual([[3]]);
    expect(log.commits).toEqual([3, 4]);
  });

  it('stops between retries without committing the failed batch', async () => {
    // Arrange
    const { fx, log } = harness(() => boom, 2);

    // Act
    const result = await deliverBatch(records(1, 2), POLICY, fx);

    // Assert
    expect(result).toBe('stopped');
    expect(log.invocations).toHaveLength(2);
    expect(log.commits).toEqual([]);
  });
});
