/**
 * How a cloud container signs in to PostgreSQL without a password in its environment: the password of a Secrets
 * Manager secret (the RDS-managed secret's JSON, `username` and `password`), or an RDS IAM authentication token
 * signed per connection (RDS Proxy or an instance with IAM database authentication on). node-postgres asks for the
 * password each time it opens a connection, so both fit its `password` callback.
 */
import fs from 'node:fs';

import { Signer } from '@aws-sdk/rds-signer';
import type { ConnectionOptions } from 'node:tls';
import type { ClientConfig } from 'pg';

import { secretField, type SecretSource } from '../aws/secrets';
import { ConfigError, DbSslMode, type Config, type DatabaseServer } from '../config';
import { DbError } from './errors';

/**
 * How long a fetched secret serves new connections before it is read again. Open connections are unaffected; after a
 * rotation, connections opened within this window may be refused once and succeed on the invocation's retry.
 * A policy choice: one GetSecretValue per container every five minutes at most.
 */
export const SECRET_MAX_AGE_MS = 5 * 60_000;

export interface CredentialDeps {
  readonly secrets: SecretSource;
  /** An RDS IAM token for host, port, user and region (valid 15 minutes, signed locally). */
  readonly signDbToken: (
    server: DatabaseServer & { readonly credentials: { readonly kind: 'iam' } },
  ) => Promise<string>;
  readonly now?: () => number;
}

/** The secret names another user than DB_USER: the connection would fail with a misleading message. */
export class DbCredentialsError extends DbError {
  override readonly name: string = 'DbCredentialsError';
}

/** node-postgres' `password` callback for `server`. */
export function passwordProvider(server: DatabaseServer, deps: CredentialDeps): () => Promise<string> {
  const credentials = server.credentials;
  if (credentials.kind === 'iam') {
    const iamServer = { ...server, credentials };
    return () => deps.signDbToken(iamServer);
  }
  const now = deps.now ?? Date.now;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  return async () => {
    const refresh = now() - fetchedAt > SECRET_MAX_AGE_MS;
    const secret = await deps.secrets.json(credentials.secretArn, { refresh });
    if (refresh) fetchedAt = now();
    const username = secret.username;
    if (typeof username === 'string' && username !== server.user) {
      throw new DbCredentialsError(
        `secret ${credentials.secretArn} is for user ${username}, but DB_USER is ${server.user}`,
        { retriable: false },
      );
    }
    return secretField(secret, 'password', credentials.secretArn);
  };
}

/** node-postgres' `ssl` option for the server's DB_SSL mode. */
export function sslOptions(
  server: DatabaseServer,
  readFile: (path: string) => string = readText,
): false | ConnectionOptions {
  switch (server.ssl.mode) {
    case DbSslMode.DISABLE:
      return false;
    case DbSslMode.REQUIRE:
      return { rejectUnauthorized: false };
    case DbSslMode.VERIFY_FULL:
      // Node's roots plus NODE_EXTRA_CA_CERTS (Lambda's /var/runtime/ca-cert.pem holds the RDS CAs), plus a bundle
      // named by DB_SSL_CA_FILE. RDS Proxy's certificate chains to Amazon's public roots, which Node already trusts.
      return server.ssl.caFile === undefined
        ? { rejectUnauthorized: true, servername: server.host }
        : { rejectUnauthorized: true, servername: server.host, ca: readFile(server.ssl.caFile) };
  }
}

function readText(path: string): string {
  return fs.readFileSync(path, 'utf8');
}

/** The AWS side of {@link CredentialDeps}. */
export function awsCredentialDeps(secrets: SecretSource): CredentialDeps {
  return {
    secrets,
    signDbToken: (server) =>
      new Signer({
        hostname: server.host,
        port: server.port,
        username: server.user,
        region: server.credentials.region,
      }).getAuthToken(),
  };
}

/**
 * What a one-off client (the `migrate` function) connects to: the cloud server, with its password callback and TLS,
 * or DATABASE_URL. Neither set is a ConfigError: there is no embedded server to fall back on in the cloud.
 */
export function connectionTarget(database: Config['database'], deps: CredentialDeps): string | ClientConfig {
  const server = database.server;
  if (server !== undefined) {
    return {
      host: server.host,
      port: server.port,
      database: server.database,
      user: server.user,
      password: passwordProvider(server, deps),
      ssl: sslOptions(server),
    };
  }
  if (database.url === undefined) {
    throw new ConfigError(['DB_HOST'], 'Invalid configuration: DB_HOST or DATABASE_URL: required to migrate');
  }
  return database.url;
}
