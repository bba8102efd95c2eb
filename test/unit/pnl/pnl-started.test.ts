import { Started } from '../../../lib/pnl/started';

describe('Started (a step awaited later)', () => {
  it('holds a failure for result() without an unhandled rejection in between', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const step = Started.step(Promise.reject(new Error('lock lost')));
      // Let the rejection settle and the event loop report anything unhandled before anyone awaits the step.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await new Promise<void>((resolve) => setImmediate(resolve));

      expect(unhandled).toEqual([]);
      await expect(step.result()).rejects.toThrow('lock lost');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('runs whenDone on success, in the order registered, and never on failure', async () => {
    const seen: string[] = [];
    const ok = Started.step(Promise.resolve(3));
    ok.whenDone((value) => seen.push(`first ${value}`));
    ok.whenDone((value) => seen.push(`second ${value}`));
    const failed = Started.step(Promise.reject(new Error('no')));
    failed.whenDone(() => seen.push('failed'));

    await expect(ok.result()).resolves.toBe(3);
    await expect(failed.result()).rejects.toThrow('no');
    await new Promise<void>((resolve) => setImmediate(resolve));

    expect(seen).toEqual(['first 3', 'second 3']);
  });
});
