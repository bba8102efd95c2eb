/**
 * The daily report's COPY of the rows valued in code (lib/pnl/service.ts, step 5), sent while the rest is valued.
 */
import type { PoolClient } from 'pg';

import { copyRows } from '../db/copy';
import type { Started } from './started';
import { CLOSE_COLUMNS, COST_COLUMNS, LINE_COLUMNS, type ValuedRows } from './valuation';

/**
 * Sends the valued rows to PostgreSQL while the rest are valued: once `after` (the quiet lines' INSERT) has left the
 * report's connection (one statement at a time on a connection), every batch valued so far goes in by COPY, closes
 * then lines, one pair of COPYs at a time. No foreign key joins them: either may come first. A failed COPY aborts
 * the transaction; `failure` says so at once and `finish` throws it.
 */
export class RowStream {
  failure: Error | undefined = undefined;
  lineCount = 0;
  private closeRows: string[] = [];
  private lineRows: string[] = [];
  private ready = false;
  private sending: Promise<void> | undefined;

  constructor(
    private readonly client: PoolClient,
    private readonly after: Started<unknown>,
  ) {
    after.whenDone(() => {
      this.ready = true;
      this.send();
    });
  }

  add(rows: ValuedRows): void {
    for (const row of rows.closeRows) this.closeRows.push(row);
    for (const row of rows.lineRows) this.lineRows.push(row);
    this.lineCount += rows.lineRows.length;
    this.send();
  }

  /** Resolves once every row added has been taken (after `after`); rejects with the first failure, or `after`'s. */
  async finish(): Promise<void> {
    await this.after.result();
    this.send();
    while (this.sending !== undefined) await this.sending;
    if (this.failure !== undefined) throw this.failure;
  }

  private send(): void {
    if (!this.ready || this.sending !== undefined || this.failure !== undefined) return;
    if (this.closeRows.length === 0 && this.lineRows.length === 0) return;
    const closeRows = this.closeRows;
    const lineRows = this.lineRows;
    this.closeRows = [];
    this.lineRows = [];
    this.sending = (async (): Promise<void> => {
      if (closeRows.length > 0) await copyRows(this.client, 'daily_pnl_closes', CLOSE_COLUMNS, closeRows);
      if (lineRows.length > 0) {
        await copyRows(this.client, 'daily_pnl_lines', [...LINE_COLUMNS, 'close_id', ...COST_COLUMNS], lineRows);
      }
    })().then(
      () => {
        this.sending = undefined;
        this.send();
      },
      (error: unknown) => {
        this.failure = error instanceof Error ? error : new Error(String(error));
        this.sending = undefined;
      },
    );
  }
}
