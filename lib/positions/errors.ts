/** Errors of the positions module: one base class, subclasses say whether a retry can help. */
export class PositionsError extends Error {
  override readonly name: string = 'PositionsError';
  /** True when running the same work again may succeed (a transient database or network condition). */
  readonly retriable: boolean;

  constructor(message: string, options: { readonly retriable: boolean; readonly cause?: unknown }) {
    super(message, { cause: options.cause });
    this.retriable = options.retriable;
  }
}

/** A stored position snapshot could not be read back: data written by something else, or a bug. Not retriable. */
export class PositionSnapshotError extends PositionsError {
  override readonly name: string = 'PositionSnapshotError';
  constructor(message: string, cause?: unknown) {
    super(message, { retriable: false, cause });
  }
}
