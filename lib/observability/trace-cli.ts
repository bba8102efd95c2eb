/** `posttrade trace <id>`: a trade's timeline (lib/observability/trace-store.ts) as lines, or as JSON. */
import type { TraceOptions } from '../cli/commands';
import { CliError, ExitCode } from '../cli/errors';
import type { CommandContext } from '../cli/program';
import { endPool, getPool } from '../db/pool';
import { readTradeTrace } from './trace-store';

function duration(ms: number | null): string {
  if (ms === null) return '';
  return ms < 1000 ? `+${ms} ms` : `+${(ms / 1000).toFixed(1)} s`;
}

export async function traceCommand(options: TraceOptions, context: CommandContext): Promise<ExitCode> {
  try {
    const trace = await readTradeTrace(getPool(), options.id);
    if (trace === undefined) throw new CliError(`no trade, execution or correlation id ${options.id} is known`);
    if (options.json === true) {
      context.stdout.write(`${JSON.stringify(trace, null, 2)}\n`);
      return ExitCode.OK;
    }
    context.stdout.write(
      `trace of ${trace.query}: trade ${trace.tradeIds.join(', ') || '-'}, ` +
        `correlation id ${trace.correlationIds.join(', ') || '-'}, ${trace.events.length} event(s)\n`,
    );
    for (const event of trace.events) {
      const who = [event.execId ?? '-', event.version === null ? '' : `v${event.version}`].join(' ').trim();
      context.stdout.write(
        `${event.at}  ${duration(event.sincePreviousMs).padStart(10)}  ${event.step.padEnd(13)} ${who.padEnd(24)} ` +
          `${event.detail}\n`,
      );
    }
    return ExitCode.OK;
  } finally {
    await endPool();
  }
}
