/** Errors of the positions module: one base class, subclasses say whether a retry can help. */
export class PositionsError extends Error {
  /** True when running the same work again may succeed (a transient database or network condition). */
  readonly retriable: boolean;

  constructor(message: string, options: { readonly retriable: boolean; readonly cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'PositionsError';
    this.retriable = options.retriable;
  }
}

/** A stored position snapshot could not be read back: data written by something else, or a bug. Not retriable. */
export class PositionSnapshotError extends PositionsError {
  constructor(message: string, cause?: unknown) {
    super(message, { retriable: false, cause });
    this.name = 'PositionSnapshotError';
  }
}
