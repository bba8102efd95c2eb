/**
 * Content negotiation for the daily report: an extension in the path (`2024-05-28.csv`) is an explicit choice and
 * wins; otherwise the Accept header's most preferred type we can write (RFC 9110 §12.5.1 quality values); no
 * Accept means JSON. Accept naming only types we cannot write is a 406.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

import type { DailyReportDoc } from '../../pnl/document';
import { REPORT_CONTENT_TYPES, ReportFormat, writeReport } from '../../pnl/writers';

const MEDIA_TYPES: readonly (readonly [string, ReportFormat])[] = [
  ['application/json', ReportFormat.JSON],
  ['text/csv', ReportFormat.CSV],
  ['text/html', ReportFormat.HTML],
];

export type Negotiated =
  | { readonly ok: true; readonly date: string; readonly format: ReportFormat }
  | { readonly ok: false; readonly message: string };

/** `dateParam` is the path parameter, already checked to be `YYYY-MM-DD` with an optional known extension. */
export function negotiateReportFormat(dateParam: string, accept: string | undefined): Negotiated {
  const [date = dateParam, extension] = dateParam.split('.');
  const explicit = MEDIA_TYPES.find(([, format]) => format === extension);
  if (explicit !== undefined) return { ok: true, date, format: explicit[1] };
  if (accept === undefined || accept.trim() === '') return { ok: true, date, format: ReportFormat.JSON };

  const ranges = accept
    .split(',')
    .map((part, index) => {
      const [range = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
      const q = params.find((p) => p.startsWith('q='));
      return { range, q: q === undefined ? 1 : Number(q.slice(2)), index };
    })
    .filter((r) => r.range !== '' && Number.isFinite(r.q) && r.q > 0)
    // Preference, then specificity (text/csv before text/*), then the order the client listed them.
    .sort((a, b) => b.q - a.q || wildcards(a.range) - wildcards(b.range) || a.index - b.index);
  for (const { range } of ranges) {
    const match = MEDIA_TYPES.find(([type]) => matches(range, type));
    if (match !== undefined) return { ok: true, date, format: match[1] };
  }
  return { ok: false, message: `the report is available as ${MEDIA_TYPES.map(([type]) => type).join(', ')}` };
}

function wildcards(range: string): number {
  return range === '*/*' ? 2 : range.endsWith('/*') ? 1 : 0;
}

function matches(range: string, type: string): boolean {
  if (range === '*/*') return true;
  if (range.endsWith('/*')) return type.startsWith(range.slice(0, -1));
  return range === type;
}

export function reportResponse(report: DailyReportDoc, format: ReportFormat): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: 200,
    // Vary: a cache must not serve the CSV to a client that asked for HTML at the same URL.
    headers: { 'content-type': REPORT_CONTENT_TYPES[format], vary: 'Accept' },
    body: writeReport(report, format),
  };
}
