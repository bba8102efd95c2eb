/**
 * `posttrade smoke --url URL [--token T] [...]`: smoke-tests a deployed (or local) stack through its API
 * (lib/smoke/smoke.ts). Exit 0 when the trade went all the way to its position (and back, cancelled); 1 otherwise.
 */
import type { SmokeOptions } from '../cli/commands';
import type { CommandContext } from '../cli/program';
import { smoke } from './smoke';

/** `posttrade smoke`: exit 0 once the trade went all the way and back; a failed step throws (exit 1). */
export async function smokeCommand(options: SmokeOptions, context: CommandContext): Promise<void> {
  const values = options;
  const timeoutMs = options.timeoutMs;
  const result = await smoke({
    url: options.url ?? context.config.local.httpUrl,
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
    log: (line) => context.stdout.write(`${line}\n`),
  });
  context.stdout.write(`smoke test passed in ${(result.elapsedMs / 1000).toFixed(1)} s (${result.tradeId})\n`);
}
