/**
 * Errors of the database layer. Every error says whether retrying can help, so that a handler can choose between
 * retrying the unit of work, failing the batch (Lambda redelivers it) and parking the record.
 */
import { isNativeError } from 'node:util/types';

/** SQLSTATEs worth retrying as a whole transaction: another transaction got in the way. */
const CONFLICT_CODES: ReadonlySet<string> = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available (lock_timeout)
]);

/** SQLSTATEs meaning the server went away or is not accepting us right now. Class 08 is matched by prefix. */
const CONNECTION_CODES: ReadonlySet<string> = new Set([
  '53300', // too_many_connections
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
]);

/**
 * SQLSTATEs of class 53 meaning the server is short of a resource shared by every session right now, not that this
 * statement is wrong: most often 53200 "out of shared memory" when the shared lock table is full
 * (max_locks_per_transaction × max_connections entries, for every session's locks). Other transactions release
 * what they hold as they end, so the same transaction run again succeeds; failing the record instead would park a
 * good trade. 53300 (too many connections) is a connection error above; 53400 (configuration_limit_exceeded, e.g.
 * temp_file_limit) is left out: the same statement would exceed the same limit again.
 */
const RESOURCE_CODES: ReadonlySet<string> = new Set([
  '53000', // insufficient_resources
  '53100', // disk_full
  '53200', // out_of_memory (including "out of shared memory": the lock table is full)
]);

/** Socket-level failures reported by Node rather than PostgreSQL. */
const NETWORK_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

/**
 * node-postgres reports a dropped connection and a pool acquire timeout with messages only, no code.
 * Matched as a last resort; if pg rewords them we classify those errors as not retriable, the safe side.
 */
const CONNECTION_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  // A query on a client whose connection already failed (pg's `_queryable` false).
  /has encountered a connection error and is not queryable/i,
];

export interface DbErrorOptions {
  readonly cause?: unknown;
  readonly retriable?: boolean;
  /** SQLSTATE, when PostgreSQL reported one. */
  readonly code?: string;
}

/** Base error of the database layer. */
export class DbError extends Error {
  override readonly name: string = 'DbError';
  readonly retriable: boolean;
  readonly code: string | undefined;

  constructor(message: string, options: DbErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.retriable = options.retriable ?? false;
    this.code = options.code;
  }
}

/** Serialization failure, deadlock or lock timeout: running the same transaction again will usually succeed. */
export class DbConflictError extends DbError {
  override readonly name: string = 'DbConflictError';
  constructor(message: string, options: Omit<DbErrorOptions, 'retriable'> = {}) {
    super(message, { ...options, retriable: true });
  }
}

/** The server could not be reached or dropped the connection. Retriable: a new connection usually works. */
export class DbConnectionError extends DbError {
  override readonly name: string = 'DbConnectionError';
  constructor(message: string, options: Omit<DbErrorOptions, 'retriable'> = {}) {
    super(message, { ...options, retriable: true });
  }
}

/**
 * The server is out of a shared resource (see RESOURCE_CODES): lock table, memory, disk. Retriable: what other
 * transactions hold comes free as they end. A batch that exhausts a resource by itself is retried until someone
 * looks (visible as a stalled partition), which is the safe side: never a good record parked.
 */
export class DbResourceError extends DbError {
  override readonly name: string = 'DbResourceError';
  constructor(message: string, options: Omit<DbErrorOptions, 'retriable'> = {}) {
    super(message, { ...options, retriable: true });
  }
}

/**
 * A statement ran past `statement_timeout` (57014). Not retriable: the same statement on the same data will
 * most likely time out again; the batch should fail so that someone looks.
 */
export class DbTimeoutError extends DbError {
  override readonly name: string = 'DbTimeoutError';
  constructor(message: string, options: Omit<DbErrorOptions, 'retriable'> = {}) {
    super(message, { ...options, retriable: false });
  }
}

/** Any other error PostgreSQL reported (constraint violations, syntax errors, ...). Not retriable. */
export class DbQueryError extends DbError {
  override readonly name: string = 'DbQueryError';
  constructor(message: string, options: Omit<DbErrorOptions, 'retriable'> = {}) {
    super(message, { ...options, retriable: false });
  }
}

/** Whether `error` came from PostgreSQL or the connection to it (as opposed to the caller's own code). */
export function isDatabaseError(error: unknown): boolean {
  return toDbErrorOrUndefined(error) !== undefined;
}

/**
 * Wraps an error thrown by `pg` into the matching `DbError` subclass, keeping the original as `cause`.
 * A `DbError` is returned unchanged; anything that did not come from the database becomes a plain,
 * non-retriable `DbError`.
 */
export function toDbError(error: unknown, context = 'database operation failed'): DbError {
  return toDbErrorOrUndefined(error, context) ?? new DbError(context, { cause: error });
}

function toDbErrorOrUndefined(error: unknown, context = 'database operation failed'): DbError | undefined {
  if (error instanceof DbError) return error;
  // `isNativeError` also recognises errors from another realm (Node's sockets under Jest's sandbox).
  if (!(error instanceof Error || isNativeError(error))) return undefined;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  const message = `${context}: ${error.message}`;
  if (code !== undefined && CONFLICT_CODES.has(code)) return new DbConflictError(message, { cause: error, code });
  if (code !== undefined && (code.startsWith('08') || CONNECTION_CODES.has(code))) {
    return new DbConnectionError(message, { cause: error, code });
  }
  if (code !== undefined && RESOURCE_CODES.has(code)) return new DbResourceError(message, { cause: error, code });
  if (code === '57014') return new DbTimeoutError(message, { cause: error, code });
  if (code !== undefined && NETWORK_CODES.has(code)) return new DbConnectionError(message, { cause: error });
  if (CONNECTION_MESSAGES.some((pattern) => pattern.test(error.message))) {
    return new DbConnectionError(message, { cause: error });
  }
  // PostgreSQL's SQLSTATEs are five characters of digits and capitals; anything else is not a server error.
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) return new DbQueryError(message, { cause: error, code });
  return undefined;
}
