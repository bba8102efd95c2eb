/**
 * `posttrade smoke --url URL`: proves a deployed stack end to end through its public API, as an operator would
 * after `sls deploy`. It posts one clearly labelled trade, follows it through validation and booking
 * (GET /trades/{id}) to its position (GET /positions: the quantity moves by exactly the trade's), then cancels it and
 * waits for the position to return — a cancel restores the state as if the trade never happened — unless `keep`.
 * Every step is logged with its time; the first that fails says what it saw.
 */
import { randomUUID } from 'node:crypto';

import { Dec } from '../domain/decimal';

export interface SmokeOptions {
  /** The API's base URL (the HTTP API's endpoint, or http://localhost:3000). */
  readonly url: string;
  /** Bearer token: a JWT from the stack's issuer in the cloud, `dev-token` locally. */
  readonly token: string;
  readonly account: string;
  readonly counterpartyLei: string;
  readonly isin: string;
  readonly mic: string;
  readonly currency: string;
  readonly price: string;
  readonly quantity: string;
  readonly tradeDate: string;
  /** Leave the trade booked instead of cancelling it. */
  readonly keep: boolean;
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly fetch?: typeof fetch;
  readonly log?: (line: string) => void;
  readonly now?: () => number;
}

export class SmokeFailure extends Error {
  override readonly name: string = 'SmokeFailure';
}

export interface SmokeResult {
  readonly tradeId: string;
  readonly positionBefore: string;
  readonly positionBooked: string;
  readonly cancelled: boolean;
  readonly elapsedMs: number;
}

interface Position {
  readonly isin: string;
  readonly quantity: string;
}

export async function smoke(options: SmokeOptions): Promise<SmokeResult> {
  const http = options.fetch ?? fetch;
  const log = options.log ?? (() => undefined);
  const now = options.now ?? Date.now;
  const started = now();
  const base = options.url.replace(/\/+$/, '');
  const step = (message: string) => log(`[${((now() - started) / 1000).toFixed(1)} s] ${message}`);
  const auth = { authorization: `Bearer ${options.token}` };

  async function call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    let response: Response;
    try {
      response = await http(`${base}${path}`, {
        method,
        headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new SmokeFailure(`${method} ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const text = await response.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON: kept as text for the failure message.
    }
    return { status: response.status, json };
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = now() + options.timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (now() > deadline) throw new SmokeFailure(`timed out after ${options.timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, options.pollMs));
    }
  }

  async function position(): Promise<Dec> {
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ account: options.account, limit: '500' });
      if (cursor !== null) query.set('cursor', cursor);
      const page = await call('GET', `/positions?${query.toString()}`);
      if (page.status !== 200)
        throw new SmokeFailure(`GET /positions answered ${page.status}: ${JSON.stringify(page.json)}`);
      const body = page.json as { items: Position[]; nextCursor: string | null };
      const found = body.items.find((item) => item.isin === options.isin);
      if (found !== undefined) return new Dec(found.quantity);
      cursor = body.nextCursor;
    } while (cursor !== null);
    return new Dec(0);
  }

  async function tradeStatus(tradeId: string): Promise<{ status: string | null; rejections: unknown[] } | undefined> {
    const answer = await call('GET', `/trades/${encodeURIComponent(tradeId)}`);
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw new SmokeFailure(`GET /trades/${tradeId} answered ${answer.status}`);
    return answer.json as { status: string | null; rejections: unknown[] };
  }

  async function follow(tradeId: string, wanted: 'LIVE' | 'CANCELLED'): Promise<void> {
    await until(`trade ${tradeId} to be ${wanted}`, async () => {
      const detail = await tradeStatus(tradeId);
      if (detail !== undefined && detail.rejections.length > 0) {
        throw new SmokeFailure(`trade ${tradeId} was rejected: ${JSON.stringify(detail.rejections)}`);
      }
      return detail?.status === wanted ? true : undefined;
    });
  }

  async function post(trade: Record<string, unknown>): Promise<void> {
    const answer = await call('POST', '/trades', trade);
    if (answer.status !== 202)
      throw new SmokeFailure(`POST /trades answered ${answer.status}: ${JSON.stringify(answer.json)}`);
  }

  // 1. The API answers (the document is public) and the token is accepted.
  const document = await call('GET', '/openapi.json');
  if (document.status !== 200) throw new SmokeFailure(`GET /openapi.json answered ${document.status}`);
  const before = await position();
  step(`API up; ${options.account} holds ${before.toString()} of ${options.isin}`);

  // 2. Capture one trade, labelled so that nobody mistakes it for business.
  const id = `SMOKE-${new Date(now()).toISOString().replace(/\D/g, '').slice(0, 14)}-${randomUUID().slice(0, 8)}`;
  const quantity = new Dec(options.quantity);
  const trade = {
    schemaVersion: 1,
    execId: `${id}-1`,
    tradeId: id,
    version: 1,
    lifecycle: 'NEW',
    account: options.account,
    counterpartyLei: options.counterpartyLei,
    isin: options.isin,
    mic: options.mic,
    side: 'BUY',
    quantity: options.quantity,
    price: options.price,
    currency: options.currency,
    tradeDate: options.tradeDate,
    tradeTime: `${options.tradeDate}T15:00:00.000Z`,
    commission: '0.00',
    fees: '0.00',
  };
  await post(trade);
  step(`posted ${id}: BUY ${options.quantity} ${options.isin} @ ${options.price}`);

  // 3. Validated and booked, then in the position.
  await follow(id, 'LIVE');
  step(`${id} booked`);
  const expected = before.plus(quantity);
  const booked = await until(`the position to reach ${expected.toString()}`, async () => {
    const current = await position();
    return current.eq(expected) ? current : undefined;
  });
  step(`position ${before.toString()} → ${booked.toString()}`);

  // 4. Cancelled, and the position as it was.
  if (!options.keep) {
    await post({ ...trade, execId: `${id}-2`, version: 2, lifecycle: 'CANCEL' });
    await follow(id, 'CANCELLED');
    await until(`the position to return to ${before.toString()}`, async () =>
      (await position()).eq(before) ? true : undefined,
    );
    step(`${id} cancelled; position back to ${before.toString()}`);
  }
  return {
    tradeId: id,
    positionBefore: before.toString(),
    positionBooked: booked.toString(),
    cancelled: !options.keep,
    elapsedMs: now() - started,
  };
}
