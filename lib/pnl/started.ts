/**
 * A step started now and awaited later, while the caller goes on with other work. The daily report runs
 * statements on its own connection (the replaced run's delete, the quiet lines' INSERT, the COPYs) while other
 * connections read and this process values (lib/pnl/service.ts draws the timeline).
 *
 * Why not a bare promise: one that rejects before anyone awaits it is reported as unhandled, and Node exits. A
 * Started step keeps its failure for whoever awaits `result()`. When the caller fails first and never gets there,
 * the step belonged to a transaction that is rolled back anyway (withTransaction), so the dropped failure is no
 * loss: the caller's own error is the one that surfaces.
 */
export class Started<T> {
  private constructor(private readonly work: Promise<T>) {
    // Kept for result(); see the module note.
    work.catch(() => undefined);
  }

  /** Starts `work` (already running: a promise) as a step to await later. */
  static step<T>(work: Promise<T>): Started<T> {
    return new Started(work);
  }

  /** The step's value, or its failure. */
  result(): Promise<T> {
    return this.work;
  }

  /**
   * Runs `next` as soon as the step succeeds, without waiting for anyone to await it; on failure `next` never
   * runs and the failure is left to `result()`. `next` must not throw.
   */
  whenDone(next: (value: T) => void): void {
    this.work.then(next, () => undefined);
  }
}
