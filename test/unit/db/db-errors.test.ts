import {
  DbConflictError,
  DbConnectionError,
  DbError,
  DbQueryError,
  DbResourceError,
  DbTimeoutError,
  toDbError,
} from '../../../lib/db/errors';

/** Shaped like node-postgres' DatabaseError: an Error with the SQLSTATE in `code`. */
function pgError(code: string, message = 'server said no'): Error {
  return Object.assign(new Error(message), { code });
}

describe('toDbError', () => {
  it.each([
    ['40001', 'serialization failure', DbConflictError],
    ['40P01', 'deadlock', DbConflictError],
    ['55P03', 'lock timeout', DbConflictError],
    ['08006', 'connection failure', DbConnectionError],
    ['57P01', 'admin shutdown', DbConnectionError],
    ['53300', 'too many connections', DbConnectionError],
    ['53200', 'out of shared memory (lock table full)', DbResourceError],
    ['53100', 'disk full', DbResourceError],
  ])('classifies SQLSTATE %s (%s) as retriable', (code, _meaning, expectedClass) => {
    const cause = pgError(code);

    const error = toDbError(cause);

    expect(error).toBeInstanceOf(expectedClass);
    expect(error).toBeInstanceOf(DbError);
    expect(error).toMatchObject({ retriable: true, code, cause });
  });

  it.each([
    ['23505', 'unique violation', DbQueryError],
    ['42P01', 'undefined table', DbQueryError],
    ['57014', 'statement timeout', DbTimeoutError],
    ['53400', 'configuration limit exceeded (temp_file_limit)', DbQueryError],
  ])('classifies SQLSTATE %s (%s) as not retriable', (code, _meaning, expectedClass) => {
    const error = toDbError(pgError(code));

    expect(error).toBeInstanceOf(expectedClass);
    expect(error).toMatchObject({ retriable: false, code });
  });

  it('treats a refused socket and a dropped connection as retriable connection errors', () => {
    const refused = toDbError(pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5433'));
    const dropped = toDbError(new Error('Connection terminated unexpectedly'));

    expect(refused).toBeInstanceOf(DbConnectionError);
    expect(refused.retriable).toBe(true);
    expect(dropped).toBeInstanceOf(DbConnectionError);
    expect(dropped.retriable).toBe(true);
  });

  it('sets the subclass name and prefixes the message with the context', () => {
    const error = toDbError(pgError('40P01', 'deadlock detected'), 'storing trades');

    expect(error.name).toBe('DbConflictError');
    expect(error.message).toBe('storing trades: deadlock detected');
  });

  it('returns a DbError unchanged and wraps anything else as a non-retriable DbError', () => {
    const existing = new DbQueryError('already classified');
    const odd = 'a thrown string';

    const wrapped = toDbError(odd);

    expect(toDbError(existing)).toBe(existing);
    expect(wrapped.constructor).toBe(DbError);
    expect(wrapped).toMatchObject({ retriable: false, cause: odd });
  });
});
