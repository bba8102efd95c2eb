import type { Reader, Writer } from './protocol/codec';

export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

/** One client connection, as handlers see it. */
export interface ConnectionInfo {
  readonly id: number;
  readonly remote: string;
  /** True once the socket is gone: a long-polling handler stops waiting. */
  readonly closed: boolean;
}

export interface Request {
  readonly header: RequestHeader;
  readonly body: Reader;
  readonly conn: ConnectionInfo;
}

/**
 * A handler decodes the request body and returns the response body (everything after the correlation id),
 * or null when the protocol sends no response (Produce with acks=0).
 */
export type Handler = (req: Request) => Writer | null | Promise<Writer | null>;

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}

export function consoleLogger(level: 'debug' | 'info' | 'warn' | 'error' | 'silent' = 'info'): Logger {
  const order = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 } as const;
  const at = order[level];
  const line = (lvl: string, msg: string) => `${new Date().toISOString()} [broker] ${lvl} ${msg}`;
  return {
    debug: (m) => at <= 0 && console.log(line('DEBUG', m)),
    info: (m) => at <= 1 && console.log(line('INFO', m)),
    warn: (m) => at <= 2 && console.warn(line('WARN', m)),
    error: (m) => at <= 3 && console.error(line('ERROR', m)),
  };
}
