import { patiently } from '../../../lib/kafka/patiently';

describe('patiently', () => {
  it('tries a failing read again until it succeeds, telling each failure', async () => {
    let calls = 0;
    const told: string[] = [];
    const value = await patiently(
      () => {
        calls++;
        return calls < 3 ? Promise.reject(new Error(`timed out ${calls}`)) : Promise.resolve('offsets');
      },
      { forMs: 10_000, pauseMs: 1, onRetry: (e) => told.push((e as Error).message) },
    );
    expect([value, calls, told]).toEqual(['offsets', 3, ['timed out 1', 'timed out 2']]);
  });

  it('throws the last error once the failures have lasted forMs', async () => {
    let clock = 0;
    let calls = 0;
    const reading = patiently(
      () => {
        calls++;
        clock += 400;
        return Promise.reject(new Error(`down ${calls}`));
      },
      { forMs: 1_000, pauseMs: 1, now: () => clock },
    );
    await expect(reading).rejects.toThrow('down 3');
    expect(calls).toBe(3);
  });
});
