/**
 * `posttrade smoke --url URL [--token T] [...]`: smoke-tests a deployed (or local) stack through its API
 * (lib/smoke/smoke.ts). Exit 0 when the trade went all the way to its position (and back, cancelled); 1 otherwise.
 */
import { parseArgs } from 'node:util';

import { smoke, SmokeFailure } from './smoke';

const HELP = `usage: posttrade smoke --url URL [options]

Posts one trade labelled SMOKE-..., follows it through validation and booking to its position, then cancels it and
waits for the position to return.

options:
  --url URL             the API's base URL (required): the HttpApiUrl output of sls deploy, or http://localhost:3000
  --token T             bearer token: a JWT of the stack's issuer with the account in its accounts claim
                        (default dev-token, the local stage's)
  --account A           default ACC-001
  --isin I --mic M --currency C --price P --quantity Q
                        the instrument and economics (default US0378331005 XNYS USD 170.00 1)
  --counterparty LEI    default W22LROWP2IHZNBB6K528
  --date YYYY-MM-DD     trade date (default 2024-04-02, a business day the seed reference data prices)
  --keep                leave the trade booked
  --timeout-ms MS       per step (default 120000)
  --help                this text
`;

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      token: { type: 'string', default: 'dev-token' },
      account: { type: 'string', default: 'ACC-001' },
      isin: { type: 'string', default: 'US0378331005' },
      mic: { type: 'string', default: 'XNYS' },
      currency: { type: 'string', default: 'USD' },
      price: { type: 'string', default: '170.00' },
      quantity: { type: 'string', default: '1' },
      counterparty: { type: 'string', default: 'W22LROWP2IHZNBB6K528' },
      date: { type: 'string', default: '2024-04-02' },
      keep: { type: 'boolean', default: false },
      'timeout-ms': { type: 'string', default: '120000' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (values.url === undefined) {
    process.stderr.write(`posttrade smoke: --url is required\n\n${HELP}`);
    process.exitCode = 2;
    return;
  }
  const timeoutMs = Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    process.stderr.write('posttrade smoke: --timeout-ms must be a positive integer\n');
    process.exitCode = 2;
    return;
  }
  const result = await smoke({
    url: values.url,
    token: values.token,
    account: values.account,
    counterpartyLei: values.counterparty,
    isin: values.isin,
    mic: values.mic,
    currency: values.currency,
    price: values.price,
    quantity: values.quantity,
    tradeDate: values.date,
    keep: values.keep,
    timeoutMs,
    pollMs: 1000,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`smoke test passed in ${(result.elapsedMs / 1000).toFixed(1)} s (${result.tradeId})\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(
    `posttrade smoke: ${error instanceof SmokeFailure || error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
});
