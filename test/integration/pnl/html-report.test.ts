/**
 * The HTML daily report in headless Chromium (Debian's chromium driven by playwright-core): generated from a real
 * database, written to a file and opened from it. The totals at the top are the report's totals, both charts
 * render with one bar per account and one point per report date, and the page logs no error and fetches nothing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

import { PgDailyReportService } from '../../../lib/pnl/service';
import type { DailyReportDoc } from '../../../lib/pnl/document';
import { formatAmount, writeReport } from '../../../lib/pnl/writers';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { AAPL, MSFT, book, seedReferenceData, trade } from '../helpers/pnl-fixtures';

const CHROMIUM = '/usr/bin/chromium';
const REPORT_DATES = ['2024-05-22', '2024-05-23', '2024-05-24'] as const;

describe('daily P&L report as HTML in headless Chromium', () => {
  let db: TestDatabase;
  let browser: Browser;
  let dir: string;
  let report: DailyReportDoc;
  let file: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedReferenceData(db.pool);
    // Three USD accounts and one EUR account trade Apple and Microsoft over three days (seed prices value them).
    const accounts = ['ACC-001', 'ACC-002', 'ACC-003', 'ACC-004'];
    await book(
      db.pool,
      accounts.flatMap((account, a) => [
        trade({
          tradeId: `${account}-1`,
          account,
          isin: AAPL,
          quantity: `${100 * (a + 1)}`,
          price: '180',
          tradeDate: REPORT_DATES[0],
        }),
        trade({
          tradeId: `${account}-2`,
          account,
          isin: MSFT,
          quantity: '50',
          price: '420',
          tradeDate: REPORT_DATES[1],
        }),
        trade({
          tradeId: `${account}-3`,
          account,
          isin: AAPL,
          side: 'SELL',
          quantity: '60',
          price: '195',
          commission: '2.50',
          tradeDate: REPORT_DATES[2],
        }),
      ]),
    );
    const service = new PgDailyReportService(db.pool);
    for (const date of REPORT_DATES) report = await service.generateDocument(date);
    dir = await mkdtemp(path.join(os.tmpdir(), 'posttrade-html-report-'));
    file = path.join(dir, `daily-pnl-${report.reportDate}.html`);
    await writeFile(file, writeReport(report, 'html'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await browser.close();
    await db.drop();
    // Kept when POSTTRADE_KEEP_SCREENSHOT is set, so a person can look at the page.
    if (process.env.POSTTRADE_KEEP_SCREENSHOT === undefined) await rm(dir, { recursive: true, force: true });
  });

  it('shows the report totals at the top, renders both charts, logs no error and fetches nothing', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('request', (request) => requests.push(request.url()));

    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    await page.screenshot({ path: path.join(dir, 'report.png'), fullPage: true });

    // Totals: one card set per base currency, before the tables, equal to the report's overall totals.
    expect(report.overall.map((t) => t.baseCurrency)).toEqual(['EUR', 'USD']);
    for (const totals of report.overall) {
      const shown = await page.locator(`[data-total="${totals.baseCurrency}"]`).innerText();
      expect(shown).toBe(formatAmount(totals.totalToday));
    }
    const totalsTop = await page.locator('#totals').boundingBox();
    const tableTop = await page.locator('#lines').boundingBox();
    expect(totalsTop?.y).toBeLessThan(tableTop?.y ?? 0);

    for (const [baseCurrency, accountCount] of [
      ['USD', 3],
      ['EUR', 1],
    ] as const) {
      const bars = page.locator(`svg[data-chart="accounts"][data-currency="${baseCurrency}"]`);
      const barBox = await bars.boundingBox();
      expect(barBox?.width).toBeGreaterThan(0);
      expect(barBox?.height).toBeGreaterThan(0);
      expect(await bars.locator('rect.bar').count()).toBe(accountCount);
      for (const rect of await bars.locator('rect.bar').all()) {
        expect((await rect.boundingBox())?.width).toBeGreaterThan(0);
      }
      const cumulative = page.locator(`svg[data-chart="cumulative"][data-currency="${baseCurrency}"]`);
      const lineBox = await cumulative.locator('path.line').boundingBox();
      expect(lineBox?.width).toBeGreaterThan(0);
      expect(await cumulative.locator('circle').count()).toBe(REPORT_DATES.length);
    }
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file).href]);
  }, 60_000);
});
