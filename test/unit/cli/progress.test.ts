import { CountProgress, LINE_INTERVAL_MS } from '../../../lib/cli/progress';

function stream(isTTY: boolean) {
  return {
    isTTY,
    text: '',
    write(text: string) {
      this.text += text;
      return true;
    },
  };
}

describe('CountProgress', () => {
  it('writes one plain line per tenth when the output is not a terminal', () => {
    const pipe = stream(false);
    const progress = new CountProgress(pipe, 'produced', 20);

    for (let done = 1; done <= 20; done++) progress.update(done);
    progress.end();

    const lines = pipe.text.split('\n').filter((line) => line !== '');
    expect(lines.map((line) => line.replace(/ \(.*\/s\)$/, ''))).toEqual(
      [2, 4, 6, 8, 10, 12, 14, 16, 18, 20].map((done) => `produced ${done}/20`),
    );
    expect(lines.every((line) => /\(\d[\d,]*\/s\)$/.test(line))).toBe(true);
    expect(pipe.text).not.toContain('\u001b'); // no terminal control sequences in a log
  });

  it('draws a bar with counts and rate on a terminal, finished at the total', () => {
    const tty = stream(true);
    const progress = new CountProgress(tty, 'produced', 20);

    for (let done = 1; done <= 20; done++) progress.update(done);

    expect(tty.text).toContain(`produced [${'#'.repeat(30)}] 20/20 · `);
    expect(tty.text).toMatch(/20\/20 · \d[\d,]*\/s · 0s left/);
    expect(tty.text).not.toContain('\n'.repeat(2));
  });

  it('stops redrawing when the work ends early', () => {
    const tty = stream(true);
    const progress = new CountProgress(tty, 'produced', 100);

    progress.update(10);
    progress.end();
    const after = tty.text;

    expect(after).toContain('10/100');
    progress.end();
    expect(tty.text).toBe(after);
  });

  it('stays quiet when the work ends before quietMs, on a terminal and in a log', () => {
    for (const isTTY of [true, false]) {
      let now = 0;
      const out = stream(isTTY);
      const progress = new CountProgress(out, 'lines', 50, { quietMs: 1_000, now: () => now });
      for (let done = 1; done <= 50; done++) {
        now += 10; // 500 ms in all
        progress.update(done);
      }
      progress.end();
      expect(out.text).toBe('');
    }
  });

  it('after quietMs, says where the work is, then one plain line per tenth', () => {
    let now = 0;
    const pipe = stream(false);
    const progress = new CountProgress(pipe, 'lines', 100, { quietMs: 1_000, now: () => now });
    for (let done = 1; done <= 100; done++) {
      now += 25; // 1 s reached at 40
      progress.update(done);
    }
    progress.end();

    const counts = pipe.text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.replace(/ \(.*\/s\)$/, ''));
    expect(counts).toEqual([40, 50, 60, 70, 80, 90, 100].map((done) => `lines ${done}/100`));
  });

  it('without a total, writes a plain line per interval and the last count at the end', () => {
    let now = 0;
    const pipe = stream(false);
    const progress = new CountProgress(pipe, 'drained', undefined, { now: () => now });
    for (let done = 1; done <= 12; done++) {
      now += LINE_INTERVAL_MS / 2;
      progress.update(done * 100, 'settlement');
    }
    progress.end();
    progress.end();

    const lines = pipe.text.split('\n').filter((line) => line !== '');
    expect(lines.map((line) => line.replace(/ \(.*\/s\)$/, ''))).toEqual(
      [100, 300, 500, 700, 900, 1100, 1200].map((done) => `drained ${done} · settlement`),
    );
    // 1,200 in 30 s
    expect(lines.at(-1)).toBe('drained 1200 · settlement (40/s)');
    expect(pipe.text).not.toContain('\u001b');
  });

  it('without a total, redraws one live line in place on a terminal and ends it with a newline', () => {
    let now = 0;
    const tty = stream(true);
    const progress = new CountProgress(tty, 'drained', undefined, { now: () => now });
    for (let done = 1; done <= 10; done++) {
      now += 1_000;
      progress.update(done);
    }
    progress.end();

    expect(tty.text.split('\n')).toEqual([expect.stringContaining('\r\u001b[Kdrained 10 (1/s)'), '']);
    expect(tty.text.split('\r\u001b[K')).toHaveLength(12); // 10 redraws and the last one
  });

  it('refuses a total that is not a count', () => {
    expect(() => new CountProgress(stream(false), 'lines', Number.NaN)).toThrow('not a total');
  });
});
