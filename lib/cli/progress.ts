/**
 * Progress of long work (the simulator publishing, the benchmarks' phases, a report over a large data set).
 * With a known total: on a terminal, a bar redrawn in place with counts, rate and time left (cli-progress);
 * elsewhere (a log, a pipe, CI), one plain line per tenth of the way, with the rate. Without a total: on a terminal,
 * one live line with the count and rate redrawn in place; elsewhere, one plain line per {@link LINE_INTERVAL_MS} and
 * a last one at the end. Plain lines never hold terminal control sequences. With `quietMs`, nothing shows until
 * the work has run that long, so that small jobs stay quiet.
 */
import { SingleBar } from 'cli-progress';

import type { OutputStream } from './program';

/** Milliseconds between plain lines of work without a total, when the output is not a terminal. */
export const LINE_INTERVAL_MS = 5_000;

/** Milliseconds between redraws of the live line (work without a total, on a terminal). */
const REDRAW_MS = 100;

export interface ProgressOptions {
  /** Nothing shows before the work has run this long (default 0: from the start). */
  readonly quietMs?: number;
  /** The clock, in ms (a stand-in in tests). */
  readonly now?: () => number;
}

export class CountProgress {
  private readonly now: () => number;
  private readonly started: number;
  private readonly quietMs: number;
  private bar: SingleBar | undefined;
  private done = 0;
  private detail = '';
  /** When a plain line or the live line was last written; undefined before the first. */
  private shownAt: number | undefined;
  private ended = false;

  constructor(
    private readonly stream: OutputStream,
    /** What is counted, in the past tense (`produced`, `valued`), or what is under way (`run 2/5`). */
    private readonly verb: string,
    /** How many there are in all; undefined when not known beforehand. */
    private readonly total: number | undefined,
    options: ProgressOptions = {},
  ) {
    if (total !== undefined && !(total >= 0)) throw new Error(`progress: not a total: ${total}`);
    this.now = options.now ?? Date.now;
    this.started = this.now();
    this.quietMs = options.quietMs ?? 0;
    if (this.quietMs <= 0) this.startBar();
  }

  /** `done` are finished now; `detail` (a phase's name) is shown after the counts. */
  update(done: number, detail?: string): void {
    if (this.ended) return;
    const before = this.done;
    this.done = done;
    if (detail !== undefined) this.detail = detail;
    const now = this.now();
    if (now - this.started < this.quietMs) return;
    if (this.isTerminal()) {
      if (this.total !== undefined && this.total > 0) {
        this.startBar();
        this.bar?.update(done, { rate: this.rate(now), detail: this.detailText() });
        if (done >= this.total) this.end();
      } else if (this.shownAt === undefined || now - this.shownAt >= REDRAW_MS) {
        this.stream.write(`\r\x1b[K${this.line(now)}`);
        this.shownAt = now;
      }
      return;
    }
    if (this.total !== undefined && this.total > 0) {
      const tenth = (n: number) => Math.floor((n * 10) / (this.total as number));
      // After a quiet start, the first line says where the work is; then one per tenth.
      const first = this.quietMs > 0 && this.shownAt === undefined;
      if (done >= this.total || tenth(done) !== tenth(before) || first) this.writeLine(now);
    } else if (this.shownAt === undefined || now - this.shownAt >= LINE_INTERVAL_MS) {
      this.writeLine(now);
    }
  }

  /**
   * Stops redrawing (also when the work ends early); the bar's or live line's last state stays on screen. Work
   * without a total that has shown anything gets its last count in a line of its own.
   */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const bar = this.bar;
    this.bar = undefined;
    if (bar !== undefined) {
      bar.stop();
      return;
    }
    if (this.shownAt === undefined || (this.total !== undefined && this.total > 0)) return;
    const now = this.now();
    this.stream.write(this.isTerminal() ? `\r\x1b[K${this.line(now)}\n` : `${this.line(now)}\n`);
  }

  private isTerminal(): boolean {
    return this.stream.isTTY === true;
  }

  private startBar(): void {
    if (this.bar !== undefined || this.ended || !this.isTerminal() || this.total === undefined || this.total <= 0) {
      return;
    }
    this.bar = new SingleBar({
      stream: this.stream as NodeJS.WritableStream,
      format: `${this.verb} [{bar}] {value}/{total} · {rate}/s · {eta_formatted} left{detail}`,
      barsize: 30,
      barCompleteChar: '#',
      barIncompleteChar: '.',
      hideCursor: false,
      clearOnComplete: false,
      fps: 10,
    });
    this.bar.start(this.total, this.done, { rate: this.rate(this.now()), detail: this.detailText() });
  }

  private writeLine(now: number): void {
    this.stream.write(`${this.line(now)}\n`);
    this.shownAt = now;
  }

  private line(now: number): string {
    const count = this.total === undefined ? `${this.done}` : `${this.done}/${this.total}`;
    return `${this.verb} ${count}${this.detailText()} (${this.rate(now)}/s)`;
  }

  private detailText(): string {
    return this.detail === '' ? '' : ` · ${this.detail}`;
  }

  private rate(now: number): string {
    const seconds = Math.max(0.001, (now - this.started) / 1000);
    return Math.round(this.done / seconds).toLocaleString('en-US');
  }
}
