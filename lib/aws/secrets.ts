/**
 * Secrets Manager, read once per container. A Lambda container keeps what it fetched for its life (minutes to
 * hours), so a cold start costs one GetSecretValue per secret and a warm invocation none. A caller that finds the
 * value stale (the database refused the password after a rotation) asks again with `refresh`.
 *
 * Powertools' parameters utility would do this caching, but its newest release (2.35.0) cannot be pinned to the
 * version every other Powertools package here uses (2.36.0), so the SDK is used directly.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

import { regionOfArn } from '../config';

/** A secret could not be read or is not the JSON expected. Retriable only when the service itself failed. */
export class SecretError extends Error {
  override readonly name: string = 'SecretError';
  constructor(
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface SecretSource {
  /** The secret's JSON object; cached per ARN, fetched again when `refresh` is set. */
  json(secretArn: string, options?: { readonly refresh?: boolean }): Promise<Readonly<Record<string, unknown>>>;
}

/** What the source needs of the SDK client: its `send` of a GetSecretValue command. */
export type GetSecretValue = (secretArn: string) => Promise<string | undefined>;

export class CachedSecretSource implements SecretSource {
  private readonly cache = new Map<string, Promise<Readonly<Record<string, unknown>>>>();

  constructor(private readonly getSecretValue: GetSecretValue) {}

  json(secretArn: string, options: { readonly refresh?: boolean } = {}): Promise<Readonly<Record<string, unknown>>> {
    const cached = this.cache.get(secretArn);
    if (cached !== undefined && options.refresh !== true) return cached;
    const fetched = this.fetch(secretArn);
    this.cache.set(secretArn, fetched);
    // A failure is not kept: the next caller tries again.
    fetched.catch(() => {
      if (this.cache.get(secretArn) === fetched) this.cache.delete(secretArn);
    });
    return fetched;
  }

  private async fetch(secretArn: string): Promise<Readonly<Record<string, unknown>>> {
    let text: string | undefined;
    try {
      text = await this.getSecretValue(secretArn);
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      // Missing secret, no permission, wrong KMS key: a person must act. Throttling and service faults pass.
      const permanent = ['ResourceNotFoundException', 'AccessDeniedException', 'DecryptionFailure'].includes(name);
      throw new SecretError(`could not read secret ${secretArn}: ${name || 'error'}`, !permanent, { cause: error });
    }
    if (text === undefined) throw new SecretError(`secret ${secretArn} has no SecretString`, false);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new SecretError(`secret ${secretArn} is not JSON`, false);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new SecretError(`secret ${secretArn} is not a JSON object`, false);
    }
    return parsed as Record<string, unknown>;
  }
}

/** A string field of a secret, or a non-retriable error naming the field (never the value). */
export function secretField(secret: Readonly<Record<string, unknown>>, field: string, secretArn: string): string {
  const value = secret[field];
  if (typeof value !== 'string' || value === '') {
    throw new SecretError(`secret ${secretArn} has no string field "${field}"`, false);
  }
  return value;
}

let containerSource: SecretSource | undefined;

/** The container's secret source over Secrets Manager, in the region each secret's ARN names. */
export function getSecretSource(): SecretSource {
  containerSource ??= (() => {
    const clients = new Map<string, SecretsManagerClient>();
    return new CachedSecretSource(async (secretArn) => {
      const region = regionOfArn(secretArn) ?? '';
      let client = clients.get(region);
      if (client === undefined) {
        client = new SecretsManagerClient(region === '' ? {} : { region });
        clients.set(region, client);
      }
      return (await client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
    });
  })();
  return containerSource;
}
