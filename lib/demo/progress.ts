/**
 * How far the demo's trades have got through the pipeline, stage by stage, as counted from the database (see
 * lib/demo/queries.ts), and how that is shown: a line redrawn in place on a terminal, one line every few seconds
 * in a log. Pure: no I/O, so the rules for "done" and "stalled" can be read in one place.
 */

/** The pipeline's stages in the order a trade passes them. */
export const Stages = {
  VALIDATION: 'validation',
  BOOKING: 'booking',
  PUBLICATION: 'publication',
  POSITIONS: 'positions',
  SETTLEMENT: 'settlement',
} as const;
export type Stage = (typeof Stages)[keyof typeof Stages];

/** Counts for the records this demo run published to trades.captured (and what became of them). */
export interface PipelineCounts {
  /** Records this run published to trades.captured (from the topic's offsets). */
  readonly captured: number;
  /** Of them, decided by validation and the decision delivered, by outcome. */
  readonly validated: number;
  readonly rejected: number;
  readonly deadLettered: number;
  /** Same execution captured again (e.g. a rerun with a seed used before): nothing new happened. */
  readonly duplicates: number;
  /** Validated trades booked as a version of their trade. */
  readonly booked: number;
  /** Validated amends/cancels held until their trade arrives. */
  readonly held: number;
  /** Validated trades the persistence stage rejected (version conflict with a booked version). */
  readonly persistRejected: number;
  /**
   * Validated trades whose ExecID persistence found already booked (or held) for another execution validated at
   * the same time on another partition, and so left alone: a no-op, inferred from the counts (see queries.ts).
   */
  readonly persistDuplicates: number;
  /** Booked versions published to trades.booked. */
  readonly published: number;
  /** Booked versions whose position was rebuilt after they were booked (or whose position is gone). */
  readonly positioned: number;
  /** Booked versions with their settlement instruction (or, for a cancelled trade, none left uncancelled). */
  readonly instructed: number;
}

/** Whether the settlement stage is deployed (a function on trades.booked that writes instructions). */
export interface PipelineShape {
  readonly settlement: boolean;
}

/** Per stage: how many records it has finished and how many it must finish. */
export function stageProgress(
  counts: PipelineCounts,
  shape: PipelineShape,
): { stage: Stage; done: number; expected: number }[] {
  // A validated record persistence could not decode has no ExecID to follow; it would stall booking, named so.
  const decided = counts.validated + counts.rejected + counts.deadLettered + counts.duplicates;
  const stages: { stage: Stage; done: number; expected: number }[] = [
    { stage: Stages.VALIDATION, done: decided, expected: counts.captured },
    {
      stage: Stages.BOOKING,
      done: counts.booked + counts.held + counts.persistRejected + counts.persistDuplicates,
      expected: counts.validated,
    },
    { stage: Stages.PUBLICATION, done: counts.published, expected: counts.booked },
    { stage: Stages.POSITIONS, done: counts.positioned, expected: counts.booked },
  ];
  if (shape.settlement) stages.push({ stage: Stages.SETTLEMENT, done: counts.instructed, expected: counts.booked });
  return stages;
}

/**
 * The first stage that has not finished, or undefined when every trade is fully processed: every captured record
 * decided, every validated one booked (or held, rejected by persistence, or a no-op there because its ExecID was
 * booked for another execution), every booked version published, its
 * position rebuilt and, when the settlement stage exists, its instruction created.
 */
export function pendingStage(counts: PipelineCounts, shape: PipelineShape): Stage | undefined {
  return stageProgress(counts, shape).find((s) => s.done < s.expected)?.stage;
}

/** Same counts as a comparable key: the pipeline made progress when the key changed. */
export function progressKey(counts: PipelineCounts): string {
  return Object.values(counts).join(',');
}

/** `validation 812/1000 · booking 640/700 · ...` */
export function formatProgress(counts: PipelineCounts, shape: PipelineShape, elapsedMs: number): string {
  const stages = stageProgress(counts, shape)
    .map((s) => `${s.stage} ${s.done}/${s.expected}`)
    .join(' · ');
  return `[demo] ${(elapsedMs / 1000).toFixed(0)}s  captured ${counts.captured} · ${stages}`;
}

/** Where progress goes: process.stderr, or a stand-in in tests. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** Seconds between progress lines when the output is not a terminal. */
export const LOG_LINE_INTERVAL_MS = 5_000;

/**
 * Shows progress lines: redrawn in place on a terminal, else one line per {@link LOG_LINE_INTERVAL_MS}
 * (and the final one), so that a CI log stays short.
 */
export class ProgressLine {
  private lastLoggedAt = -Infinity;
  private drawn = false;

  constructor(private readonly stream: ProgressStream) {}

  show(line: string, nowMs: number, final = false): void {
    if (this.stream.isTTY === true) {
      this.stream.write(`\r\x1b[K${line}`);
      this.drawn = true;
      if (final) this.end();
    } else if (final || nowMs - this.lastLoggedAt >= LOG_LINE_INTERVAL_MS) {
      this.stream.write(`${line}\n`);
      this.lastLoggedAt = nowMs;
    }
  }

  /** Ends a line drawn in place, so that what follows starts on a line of its own. */
  end(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
