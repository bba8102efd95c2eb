/**
 * Progress of long work with a known total (the simulator publishing, a report over a large data set): on a
 * terminal, a bar redrawn in place with counts, rate and time left (cli-progress); elsewhere (a log, a pipe, CI),
 * one plain line per tenth of the way, with the rate, so that the output stays line-oriented and short.
 */
import { SingleBar } from 'cli-progress';

import type { OutputStream } from './program';

export class CountProgress {
  private readonly started = Date.now();
  private bar: SingleBar | undefined;
  private done = 0;

  constructor(
    private readonly stream: OutputStream,
    /** What is counted, in the past tense: `produced`, `valued`. */
    private readonly verb: string,
    private readonly total: number,
  ) {
    if (stream.isTTY === true && total > 0) {
      this.bar = new SingleBar({
        stream: stream as NodeJS.WritableStream,
        format: `${verb} [{bar}] {value}/{total} · {rate}/s · {eta_formatted} left`,
        barsize: 30,
        barCompleteChar: '#',
        barIncompleteChar: '.',
        hideCursor: false,
        clearOnComplete: false,
        fps: 10,
      });
      this.bar.start(total, 0, { rate: '0' });
    }
  }

  /** `done` of the total are finished now. */
  update(done: number): void {
    const before = this.done;
    this.done = done;
    if (this.bar !== undefined) {
      this.bar.update(done, { rate: this.rate() });
      if (done >= this.total) this.end();
      return;
    }
    const tenth = (n: number) => Math.floor((n * 10) / this.total);
    if (done >= this.total || tenth(done) !== tenth(before)) {
      this.stream.write(`${this.verb} ${done}/${this.total} (${this.rate()}/s)\n`);
    }
  }

  /** Stops redrawing (also when the work ends early); the bar's last state stays on screen. */
  end(): void {
    const bar = this.bar;
    this.bar = undefined;
    bar?.stop();
  }

  private rate(): string {
    const seconds = Math.max(0.001, (Date.now() - this.started) / 1000);
    return Math.round(this.done / seconds).toLocaleString('en-US');
  }
}
