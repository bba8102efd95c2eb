/**
 * Responses too large for Lambda. A function behind API Gateway may return at most 6 MB, measured on the whole
 * JSON-encoded response (status, headers and the escaped body); a daily report at 50,000 lines is ~30 MB. Such a
 * response is written to a store instead — S3 in the cloud, a directory locally — and answered with `303 See Other`
 * whose `Location` is a short-lived pre-signed URL (a small JSON body names it too). Below the limit nothing changes.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

import type { LargeResponseSettings } from '../config';

export interface StoredResponse {
  readonly url: string;
  readonly expiresAt: string;
}

/** Where a large body goes; `put` returns a URL a client can GET it from without our credentials. */
export interface ResponseStore {
  put(key: string, body: string, contentType: string, ttlSeconds: number): Promise<StoredResponse>;
}

export interface LargeResponses {
  /** Largest encoded response returned inline. */
  readonly inlineMaxBytes: number;
  readonly urlTtlSeconds: number;
  /** Undefined: everything inline (the local default; API Gateway is not in the way). */
  readonly store: ResponseStore | undefined;
}

export const INLINE_RESPONSES: LargeResponses = {
  inlineMaxBytes: Number.POSITIVE_INFINITY,
  urlTtlSeconds: 0,
  store: undefined,
};

/** The size Lambda counts: the response as the runtime serialises it. */
export function encodedSize(response: APIGatewayProxyStructuredResultV2): number {
  return Buffer.byteLength(JSON.stringify(response), 'utf8');
}

/**
 * `response` itself when it fits, else the 303 to where its body was stored under `name` (a path-safe label such as
 * `reports/daily/2024-05-28.csv`; a random segment keeps two callers' scoped copies apart).
 */
export async function fitResponse(
  response: APIGatewayProxyStructuredResultV2,
  name: string,
  large: LargeResponses,
): Promise<APIGatewayProxyStructuredResultV2> {
  if (large.store === undefined || encodedSize(response) <= large.inlineMaxBytes) return response;
  const body = typeof response.body === 'string' ? response.body : '';
  const headers = response.headers ?? {};
  const contentType = String(headers['content-type'] ?? 'application/octet-stream');
  const slash = name.lastIndexOf('/');
  const key = `${name.slice(0, slash + 1)}${randomUUID()}/${name.slice(slash + 1)}`;
  const stored = await large.store.put(key, body, contentType, large.urlTtlSeconds);
  return {
    statusCode: 303,
    headers: { location: stored.url, 'content-type': 'application/json', vary: String(headers.vary ?? 'Accept') },
    body: JSON.stringify({
      location: stored.url,
      expiresAt: stored.expiresAt,
      contentType,
      bytes: Buffer.byteLength(body, 'utf8'),
    }),
  };
}

/** S3: the object is written with its content type, then a GET is pre-signed for `ttlSeconds`. */
export class S3ResponseStore implements ResponseStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async put(key: string, body: string, contentType: string, ttlSeconds: number): Promise<StoredResponse> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
    const url = await getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: ttlSeconds,
    });
    return { url, expiresAt: new Date(this.now().getTime() + ttlSeconds * 1000).toISOString() };
  }
}

/** A local directory: the same path as S3 for development and tests; the URL is a file:// URL. */
export class DirectoryResponseStore implements ResponseStore {
  constructor(
    private readonly directory: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async put(key: string, body: string, _contentType: string, ttlSeconds: number): Promise<StoredResponse> {
    const file = path.join(path.resolve(this.directory), ...key.split('/'));
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, body, 'utf8');
    return {
      url: pathToFileURL(file).href,
      expiresAt: new Date(this.now().getTime() + ttlSeconds * 1000).toISOString(),
    };
  }
}

/** The large-response handling `settings` (lib/config) describe. */
export function largeResponsesFrom(settings: LargeResponseSettings): LargeResponses {
  const limits = { inlineMaxBytes: settings.inlineMaxBytes, urlTtlSeconds: settings.urlTtlSeconds };
  switch (settings.store) {
    case 'inline':
      return INLINE_RESPONSES;
    case 's3':
      return { ...limits, store: new S3ResponseStore(new S3Client({}), settings.bucket) };
    case 'directory':
      return { ...limits, store: new DirectoryResponseStore(settings.directory) };
  }
}
