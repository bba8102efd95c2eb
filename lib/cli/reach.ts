/**
 * Before a command talks to the broker or PostgreSQL: is anything listening where the settings point? A TCP connect
 * with a short deadline answers in milliseconds when the port is closed and within `timeoutMs` when the host does
 * not answer at all, instead of kafkajs retrying for 11 s and saying only that publishing failed. The message names
 * the address, where that address came from, and how to start the stack.
 */
import net from 'node:net';

import { describeSource, type CliConfig, type SettingSource } from '../config';
import { UnreachableError } from './errors';

/** Long enough for a host across a VPN, short enough that a wrong port is told at once. */
export const REACH_TIMEOUT_MS = 3_000;

export interface Address {
  readonly host: string;
  readonly port: number;
}

/**
 * The first bytes of each protocol that make its server answer at once, so that a port something else holds (or a
 * proxy that accepts every connection) is not taken for the service.
 */
export interface Hello {
  readonly service: string;
  readonly bytes: Buffer;
  /** Whether the first bytes back are this service's answer (an HTTP proxy's 400 is not). */
  answers(data: Buffer): boolean;
}

export const Hello = {
  /** Kafka ApiVersions v0, correlation id 1, client id `posttrade`: any broker answers it with that correlation id. */
  KAFKA: {
    service: 'a Kafka broker',
    answers: (data: Buffer) => data.length >= 8 && data.readInt32BE(4) === 1,
    bytes: (() => {
      const clientId = Buffer.from('posttrade');
      const body = Buffer.alloc(10 + clientId.length);
      body.writeInt16BE(18, 0); // api_key ApiVersions
      body.writeInt16BE(0, 2); // api_version
      body.writeInt32BE(1, 4); // correlation_id
      body.writeInt16BE(clientId.length, 8);
      clientId.copy(body, 10);
      const size = Buffer.alloc(4);
      size.writeInt32BE(body.length, 0);
      return Buffer.concat([size, body]);
    })(),
  },
  /** PostgreSQL SSLRequest: the server answers one byte, S or N, before any authentication. */
  POSTGRES: {
    service: 'PostgreSQL',
    answers: (data: Buffer) => data.length === 1 && (data[0] === 0x53 || data[0] === 0x4e),
    bytes: Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]),
  },
} as const satisfies Record<string, Hello>;

/**
 * Resolves with undefined when the server on `address` answers `hello` (or, without one, accepts a connection)
 * within `timeoutMs`, else with the reason.
 */
export function probe(
  address: Address,
  timeoutMs: number = REACH_TIMEOUT_MS,
  hello?: Hello,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address.host, port: address.port });
    let connected = false;
    const done = (reason: string | undefined): void => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () =>
      done(
        connected ? `connected, but no answer within ${timeoutMs / 1000} s` : `no answer within ${timeoutMs / 1000} s`,
      ),
    );
    socket.once('connect', () => {
      connected = true;
      if (hello === undefined) done(undefined);
      else socket.write(hello.bytes);
    });
    socket.once('data', (data: Buffer) =>
      done(hello === undefined || hello.answers(data) ? undefined : `something answered that is not ${hello.service}`),
    );
    socket.once('end', () => done('the connection was closed without an answer'));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      done(error.code === 'ECONNREFUSED' ? 'connection refused' : (error.code ?? error.message));
    });
  });
}

/** `host:port` (IPv6 in brackets) into its parts. */
export function parseHostPort(text: string): Address {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(text);
  if (match === null) throw new UnreachableError(`not a host:port address: ${text}`);
  return { host: match[1] ?? '', port: Number(match[2]) };
}

/** Host and port of a postgres:// URL; undefined when it names a Unix socket (nothing to probe over TCP). */
export function databaseAddress(url: string): Address | undefined {
  const parsed = new URL(url);
  const socketHost = parsed.searchParams.get('host');
  if (socketHost?.startsWith('/') === true) return undefined;
  const host = parsed.hostname.replace(/^\[|\]$/g, '') || 'localhost';
  return { host, port: parsed.port === '' ? 5432 : Number(parsed.port) };
}

const START_HINT =
  'Start the local stack with `npm start` (same POSTTRADE_DATA_DIR and ports as this command), ' +
  'or see `posttrade config` for the settings in use.';

function unreachable(service: string, address: string, source: SettingSource, reason: string, setting: string) {
  return new UnreachableError(
    `cannot reach ${service} at ${address} (from ${describeSource(source)}): ${reason}.\n${START_HINT} ` +
      `To use another one, set ${setting}.`,
  );
}

/** Throws UnreachableError unless one of the configured brokers accepts a connection. */
export async function requireKafka(config: CliConfig, timeoutMs: number = REACH_TIMEOUT_MS): Promise<void> {
  if (config.kafka.mskClusterArn !== undefined) return; // looked up from AWS: nothing to dial yet
  const brokers = config.kafka.brokers;
  const reasons = await Promise.all(brokers.map((broker) => probe(parseHostPort(broker), timeoutMs, Hello.KAFKA)));
  if (reasons.some((reason) => reason === undefined)) return;
  throw unreachable(
    'the Kafka broker',
    brokers.join(','),
    config.sources.kafka,
    [...new Set(reasons)].join(', '),
    'KAFKA_BROKERS (host:port,...) or KAFKA_PORT',
  );
}

/** Throws UnreachableError unless PostgreSQL accepts a connection at the configured address. */
export async function requirePostgres(config: CliConfig, timeoutMs: number = REACH_TIMEOUT_MS): Promise<void> {
  const server = config.database.server;
  const address =
    server !== undefined
      ? { host: server.host, port: server.port }
      : config.database.url === undefined
        ? undefined
        : databaseAddress(config.database.url);
  if (address === undefined) return;
  const reason = await probe(address, timeoutMs, Hello.POSTGRES);
  if (reason === undefined) return;
  throw unreachable(
    'PostgreSQL',
    `${address.host}:${address.port}`,
    config.sources.database,
    reason,
    'DATABASE_URL (postgres://user:password@host:port/database) or PG_PORT',
  );
}
