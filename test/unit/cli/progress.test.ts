import { CountProgress } from '../../../lib/cli/progress';

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
});
