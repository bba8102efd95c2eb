/**
 * The daily report as JSON, CSV and a self-contained HTML page (inline CSS and SVG charts, no external assets,
 * so it opens from a file, an e-mail or the API alike).
 */
import type { DailyReportDoc, FiguresDoc, ReportLineDoc } from './document';

export const ReportFormat = { JSON: 'json', CSV: 'csv', HTML: 'html' } as const;
export type ReportFormat = (typeof ReportFormat)[keyof typeof ReportFormat];

export const REPORT_CONTENT_TYPES: Readonly<Record<ReportFormat, string>> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
};

export function writeReport(report: DailyReportDoc, format: ReportFormat): string {
  if (format === ReportFormat.CSV) return reportCsv(report);
  if (format === ReportFormat.HTML) return reportHtml(report);
  return `${JSON.stringify(report, null, 2)}\n`;
}

/**
 * The CSV columns: a line's identity, then its figures under the names the JSON uses (snake_case; `_base` for the
 * base-currency figures, which the JSON holds under `base`). docs/daily-report.md says what each figure means.
 */
const FIGURE_COLUMNS = [
  ['realized_today', 'realizedToday'],
  ['unrealized_change_today', 'unrealizedChangeToday'],
  ['fees_today', 'feesToday'],
  ['total_today', 'totalToday'],
  ['realized_since_inception', 'realizedSinceInception'],
  ['unrealized_at_previous_close', 'unrealizedAtPreviousClose'],
  ['unrealized_at_close', 'unrealizedAtClose'],
] as const satisfies readonly (readonly [string, keyof FiguresDoc])[];

const CSV_HEADER = [
  'report_date',
  'previous_report_date',
  'account_id',
  'isin',
  'cost_method',
  'currency',
  'base_currency',
  'opening_quantity',
  'closing_quantity',
  'trade_count',
  'bought_quantity',
  'sold_quantity',
  'close_price',
  'close_fx_rate',
  ...FIGURE_COLUMNS.map(([column]) => column),
  ...FIGURE_COLUMNS.map(([column]) => `${column}_base`),
  'price_effect_today_base',
  'fx_effect_today_base',
];

/**
 * One row per account and instrument (RFC 4180: CRLF line ends, fields quoted when needed). A figure a report
 * stored before migration 1732407400000 did not keep is an empty field.
 */
export function reportCsv(report: DailyReportDoc): string {
  const row = (line: ReportLineDoc): string[] => [
    report.reportDate,
    report.previousReportDate ?? '',
    line.accountId,
    line.isin,
    line.costMethod,
    line.currency,
    line.baseCurrency,
    line.openingQuantity,
    line.closingQuantity,
    String(line.tradeCount),
    line.boughtQuantity,
    line.soldQuantity,
    line.closePrice,
    line.closeFxRate,
    ...FIGURE_COLUMNS.map(([, name]) => line.local[name] ?? ''),
    ...FIGURE_COLUMNS.map(([, name]) => line.base[name] ?? ''),
    line.base.priceEffectToday ?? '',
    line.base.fxEffectToday ?? '',
  ];
  return [CSV_HEADER, ...report.lines.map(row)].map((fields) => fields.map(csvField).join(',')).join('\r\n') + '\r\n';
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Thousands separators on a plain decimal string, without ever going through a binary float. */
export function formatAmount(amount: string): string {
  const negative = amount.startsWith('-');
  const [whole = '0', fraction] = (negative ? amount.slice(1) : amount).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '−' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

function signClass(amount: string): string {
  return amount.startsWith('-') ? 'neg' : /^[0.]+$/.test(amount) ? 'zero' : 'pos';
}

/** An amount with its sign's colour; a figure the stored report does not have (null) is a dash. */
function money(amount: string | null): string {
  if (amount === null) return '<span class="zero" title="not kept by reports stored before this version">—</span>';
  return `<span class="${signClass(amount)}">${escapeHtml(formatAmount(amount))}</span>`;
}

/** Bar chart of each account's total P&L (base currency); charts only compare within one base currency. */
function accountChart(report: DailyReportDoc, baseCurrency: string): string {
  const accounts = report.accounts.filter((a) => a.baseCurrency === baseCurrency);
  if (accounts.length === 0) return '';
  // Chart geometry only: a float is fine for pixels, never for the amounts shown as text.
  const values = accounts.map((a) => Number(a.totalToday));
  const max = Math.max(1e-9, ...values.map(Math.abs));
  const rowHeight = 22;
  const width = 640;
  const label = 90;
  const mid = label + (width - label - 80) / 2;
  const half = (width - label - 80) / 2;
  const bars = accounts
    .map((a, i) => {
      const v = values[i] ?? 0;
      const length = (Math.abs(v) / max) * half;
      const x = v < 0 ? mid - length : mid;
      const y = i * rowHeight + 4;
      return `<g><text x="${label - 6}" y="${y + 13}" text-anchor="end">${escapeHtml(a.accountId)}</text>
<rect class="bar ${v < 0 ? 'neg' : 'pos'}" x="${x.toFixed(1)}" y="${y}" width="${Math.max(length, 1).toFixed(1)}" height="${rowHeight - 6}"><title>${escapeHtml(`${a.accountId}: ${a.totalToday} ${baseCurrency}`)}</title></rect>
<text x="${v < 0 ? mid + 4 : mid + length + 4}" y="${y + 13}">${escapeHtml(formatAmount(a.totalToday))}</text></g>`;
    })
    .join('\n');
  const height = accounts.length * rowHeight + 8;
  return `<figure><figcaption>Total today by account (${escapeHtml(baseCurrency)})</figcaption>
<svg class="chart" data-chart="accounts" data-currency="${escapeHtml(baseCurrency)}" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
<line x1="${mid}" y1="0" x2="${mid}" y2="${height}" class="axis"/>
${bars}
</svg></figure>`;
}

/**
 * Cumulative P&L (realized since inception + unrealized at close) at each stored report date up to this one (base
 * currency); for reports stored before it was kept, the earliest points add up their totals today instead.
 */
function cumulativeChart(report: DailyReportDoc, baseCurrency: string): string {
  const points = report.history.filter((p) => p.baseCurrency === baseCurrency);
  if (points.length === 0) return '';
  // Chart geometry only: a float is fine for pixels, never for the amounts shown as text.
  let running = 0;
  const cumulative = points.map(
    (p) => (running = p.cumulative === null ? running + Number(p.totalToday) : Number(p.cumulative)),
  );
  const width = 640;
  const height = 220;
  const pad = 40;
  const left = 72;
  const min = Math.min(0, ...cumulative);
  const max = Math.max(0, ...cumulative);
  const span = max - min || 1;
  const x = (i: number): number =>
    left + (points.length === 1 ? (width - left - pad) / 2 : (i * (width - left - pad)) / (points.length - 1));
  const y = (v: number): number => height - pad - ((v - min) / span) * (height - 2 * pad);
  const path = cumulative.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const dots = cumulative
    .map(
      (v, i) =>
        `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3"><title>${escapeHtml(`${points[i]?.reportDate ?? ''}: ${v.toFixed(2)} ${baseCurrency}`)}</title></circle>`,
    )
    .join('');
  // A reader needs the scale: the highest, lowest and zero levels labelled at the left edge.
  const yLabels = [...new Set([max, 0, min])]
    .map(
      (v) =>
        `<text class="tick" x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${escapeHtml(formatAmount(v.toFixed(0)))}</text>`,
    )
    .join('');
  const first = points[0]?.reportDate ?? '';
  const last = points[points.length - 1]?.reportDate ?? '';
  return `<figure><figcaption>Cumulative P&amp;L, last ${points.length} report date(s) (${escapeHtml(baseCurrency)})</figcaption>
<svg class="chart" data-chart="cumulative" data-currency="${escapeHtml(baseCurrency)}" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
<line class="axis" x1="${left}" y1="${y(0).toFixed(1)}" x2="${width - pad}" y2="${y(0).toFixed(1)}"/>
<path class="line" d="${path}"/>${dots}${yLabels}
<text x="${left}" y="${height - 12}">${escapeHtml(first)}</text><text x="${width - pad}" y="${height - 12}" text-anchor="end">${escapeHtml(last)}</text>
</svg></figure>`;
}

const STYLE = `body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d2733;background:#fafbfc}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}.meta{color:#5b6773;margin-bottom:16px}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{background:#fff;border:1px solid #dde3ea;border-radius:8px;padding:12px 16px;min-width:150px}
.card .label{color:#5b6773;font-size:12px;text-transform:uppercase;letter-spacing:.04em}.card .value{font-size:20px;font-weight:600}
table{border-collapse:collapse;background:#fff;border:1px solid #dde3ea;width:100%}th,td{padding:5px 8px;border-bottom:1px solid #eef1f4;white-space:nowrap}
th{background:#f1f4f7;text-align:left;position:sticky;top:0}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.pos{color:#137333}.neg{color:#b3261e}.zero{color:#5b6773}figure{margin:0;display:inline-block;vertical-align:top;margin-right:24px}
figcaption{font-weight:600;margin:8px 0}.chart text{font-size:11px;fill:#1d2733}.chart .axis{stroke:#9aa5b1}.chart .tick{fill:#5b6773}
.chart rect.pos{fill:#34a853}.chart rect.neg{fill:#ea4335}.chart .line{fill:none;stroke:#1a73e8;stroke-width:2}.chart circle{fill:#1a73e8}
.issues{color:#b3261e}dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}dt{font-weight:600}dd{margin:0}`;

/** What each figure means, as the page says it (docs/daily-report.md says the same at length). */
const GLOSSARY: readonly (readonly [string, string])[] = [
  ['Total today', 'The day’s P&L: realized today + unrealized change today, computed exactly and rounded once.'],
  [
    'Realized today',
    'P&L realized by the day’s trades (fees inside), and corrections booked since the previous report.',
  ],
  ['Unrealized change today', 'Unrealized at close − unrealized at the previous close: total today − realized today.'],
  ['Fees today', 'Commission and fees of the day’s trades; already inside realized and cost.'],
  ['Price effect today', 'Of the unrealized change (base currency): the price moves, Σ q·(p1 − p0)·x0.'],
  [
    'FX effect today',
    'Of the unrealized change (base currency): the rate moves, Σ q·p1·(x1 − x0); price + FX = the change.',
  ],
  ['Realized since inception', 'Cumulative: all P&L realized by the position so far.'],
  ['Unrealized at close', 'Cumulative: the open lots at this close against their cost (base at trade-date rates).'],
  ['Unrealized at previous close', 'Cumulative: the same at the previous report date’s close, as reported then.'],
];

/** A page people want to read: totals first, then charts, then the table per account and instrument. */
export function reportHtml(report: DailyReportDoc): string {
  const cards = report.overall
    .map(
      (t) => `<div class="cards" data-base-currency="${escapeHtml(t.baseCurrency)}">
<div class="card"><div class="label">Total today (${escapeHtml(t.baseCurrency)})</div><div class="value" data-total="${escapeHtml(t.baseCurrency)}">${money(t.totalToday)}</div></div>
<div class="card"><div class="label">Realized today</div><div class="value">${money(t.realizedToday)}</div></div>
<div class="card"><div class="label">Unrealized change today</div><div class="value">${money(t.unrealizedChangeToday)}</div></div>
<div class="card"><div class="label">Fees today</div><div class="value">${escapeHtml(formatAmount(t.feesToday))}</div></div>
<div class="card"><div class="label">Realized since inception</div><div class="value">${money(t.realizedSinceInception)}</div></div>
<div class="card"><div class="label">Unrealized at close</div><div class="value">${money(t.unrealizedAtClose)}</div></div>
<div class="card"><div class="label">Positions</div><div class="value">${t.lineCount}</div></div></div>`,
    )
    .join('\n');
  const charts = report.overall
    .map((t) => `${accountChart(report, t.baseCurrency)}${cumulativeChart(report, t.baseCurrency)}`)
    .join('\n');
  const accountRows = report.accounts
    .map(
      (
        a,
      ) => `<tr><td>${escapeHtml(a.accountId)}</td><td>${escapeHtml(a.baseCurrency)}</td><td class="num">${a.lineCount}</td>
<td class="num">${money(a.realizedToday)}</td><td class="num">${money(a.unrealizedChangeToday)}</td><td class="num">${money(a.totalToday)}</td><td class="num">${money(a.feesToday)}</td><td class="num">${money(a.priceEffectToday)}</td><td class="num">${money(a.fxEffectToday)}</td><td class="num">${money(a.realizedSinceInception)}</td><td class="num">${money(a.unrealizedAtClose)}</td></tr>`,
    )
    .join('\n');
  const lineRows = report.lines
    .map(
      (l) => `<tr><td>${escapeHtml(l.accountId)}</td><td>${escapeHtml(l.isin)}</td><td>${escapeHtml(l.costMethod)}</td>
<td class="num">${escapeHtml(formatAmount(l.openingQuantity))}</td><td class="num">${escapeHtml(formatAmount(l.closingQuantity))}</td><td class="num">${l.tradeCount}</td>
<td class="num">${escapeHtml(l.closePrice)} ${escapeHtml(l.currency)}</td><td class="num">${money(l.local.realizedToday)}</td><td class="num">${money(l.local.totalToday)}</td>
<td class="num">${money(l.base.realizedToday)}</td><td class="num">${money(l.base.unrealizedChangeToday)}</td><td class="num">${money(l.base.totalToday)}</td><td class="num">${money(l.base.feesToday)}</td><td class="num">${money(l.base.priceEffectToday)}</td><td class="num">${money(l.base.fxEffectToday)}</td><td class="num">${money(l.base.realizedSinceInception)}</td><td class="num">${money(l.base.unrealizedAtClose)}</td><td>${escapeHtml(l.baseCurrency)}</td></tr>`,
    )
    .join('\n');
  const issues =
    report.issues.length === 0
      ? ''
      : `<h2>Not valued (${report.issues.length})</h2><ul class="issues">${report.issues
          .map((i) => `<li>${escapeHtml(`${i.accountId} ${i.isin}: ${i.code} — ${i.message}`)}</li>`)
          .join('')}</ul>`;
  const exceptions =
    report.exceptions.length === 0
      ? ''
      : `<h2>Exceptions (${report.exceptions.length})</h2><ul class="issues" id="exceptions">${report.exceptions
          .map(
            (e) =>
              `<li>${escapeHtml(`${e.accountId} ${e.tradeId} ${e.lifecycle} ${e.execId} (${e.tradeDate}): ${e.code} — ${e.message}`)}</li>`,
          )
          .join('')}</ul>`;
  // Risk per account from the date's end-of-day risk run (lib/risk/end-of-day.ts); absent until it has run.
  const risk =
    report.risk.length === 0
      ? ''
      : `<h2>Risk</h2>
<table id="risk"><thead><tr><th>Account</th><th>Base</th><th class="num">Equity</th><th class="num">Maintenance requirement</th><th class="num">Margin excess (deficit)</th><th>Margin call</th><th class="num">VaR (1 day, 99 %)</th><th class="num">Open alerts</th></tr></thead>
<tbody>${report.risk
          .map(
            (r) =>
              `<tr><td>${escapeHtml(r.accountId)}</td><td>${escapeHtml(r.baseCurrency)}</td><td class="num">${money(r.equity)}</td><td class="num">${money(r.maintenanceRequirement)}</td><td class="num">${money(r.excessOverMaintenance)}</td><td>${r.marginCall ? 'yes' : 'no'}</td><td class="num">${r.valueAtRisk === null ? `<span title="${escapeHtml(r.varIssue ?? '')}">n/a</span>` : money(r.valueAtRisk)}</td><td class="num">${r.openAlerts}</td></tr>`,
          )
          .join('\n')}</tbody></table>`;
  const day =
    report.previousReportDate === null
      ? 'the day runs from the previous weekday’s close'
      : `the day runs from the close of ${escapeHtml(report.previousReportDate)}`;
  const glossary = GLOSSARY.map(
    ([term, meaning]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(meaning)}</dd>`,
  ).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Daily P&amp;L ${escapeHtml(report.reportDate)}</title><style>${STYLE}</style></head>
<body>
<h1>Daily P&amp;L — ${escapeHtml(report.reportDate)}</h1>
<div class="meta">Generated ${escapeHtml(report.generatedAt)} · ${day} · ${report.lines.length} positions · ${report.accounts.length} accounts · amounts in base currency unless marked local</div>
<section id="totals">${cards || '<p>No positions.</p>'}</section>
<section id="charts">${charts}</section>
<h2>By account</h2>
<table id="accounts"><thead><tr><th>Account</th><th>Base</th><th class="num">Positions</th><th class="num">Realized today</th><th class="num">Unrealized change today</th><th class="num">Total today</th><th class="num">Fees today</th><th class="num">Price effect today</th><th class="num">FX effect today</th><th class="num">Realized since inception</th><th class="num">Unrealized at close</th></tr></thead>
<tbody>${accountRows}</tbody></table>
<h2>By account and instrument</h2>
<table id="lines"><thead><tr><th>Account</th><th>ISIN</th><th>Method</th><th class="num">Open qty</th><th class="num">Close qty</th><th class="num">Trades</th><th class="num">Close price</th><th class="num">Realized today (local)</th><th class="num">Total today (local)</th><th class="num">Realized today</th><th class="num">Unrealized change today</th><th class="num">Total today</th><th class="num">Fees today</th><th class="num">Price effect today</th><th class="num">FX effect today</th><th class="num">Realized since inception</th><th class="num">Unrealized at close</th><th>Base</th></tr></thead>
<tbody>${lineRows}</tbody></table>
${risk}
${issues}
${exceptions}
<h2>What the figures mean</h2>
<dl id="glossary">${glossary}</dl>
</body></html>
`;
}
