/**
 * Every `posttrade` command's options, help and example, in one place (commander 14). The runner (program.ts)
 * builds the command tree from these specs and calls each command's implementation; modules that are also called
 * with an argument list (the demo, the simulator in tests) parse it through the same spec with `parseOptions`, so
 * that help, defaults, validation and errors are one thing.
 *
 * This module stays light (commander and pure modules only): `posttrade --help` must not load kafkajs or pg.
 */
import path from 'node:path';

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

import { packageRoot } from '../config';
import { DEFAULT_CUSTODIAN_RATES } from '../custodian/decide';
import { InjectableBreak } from '../custodian/statement';
import { DEFAULT_DAYS, DEFAULT_FIRST_DAY, MAX_DAYS } from '../demo/days';
import { UsageError } from './errors';
import { collect, integer, isoDate, list, nonNegative, positive, share } from './parsers';

/** The shipped reference data (the layout `posttrade refdata load` reads). */
export const SEED_DIR = path.join(packageRoot(), 'migrations', 'seed');

/** A service the command talks to: the runner checks that it answers before the command starts. */
export type Service = 'kafka' | 'postgres';

export interface CommandSpec {
  /** The words that name it: `['recon', 'report']`. */
  readonly path: readonly string[];
  readonly summary: string;
  /** Full command lines, shown under "Examples:" in its help. */
  readonly examples: readonly string[];
  /** Settings it reads besides its options (README "Settings" describes each). */
  readonly environment: readonly string[];
  readonly needs: readonly Service[];
  /** Adds the options to a fresh command. */
  define(command: Command): Command;
}

const KAFKA_ENV = ['KAFKA_BROKERS', 'KAFKA_PORT', 'POSTTRADE_DATA_DIR'];
const PG_ENV = ['DATABASE_URL', 'PG_PORT', 'POSTTRADE_DATA_DIR'];

export interface SubmitOptions {
  readonly file: string;
}
export const submitSpec: CommandSpec = {
  path: ['submit'],
  summary:
    "publish a trade file (CSV or JSON lines) to trades.captured, keyed by each account's owner (read from the " +
    'database); invalid rows reported by line, exit 1',
  examples: ['posttrade submit --file trades.csv', 'posttrade submit --file trades.jsonl'],
  environment: [...new Set([...KAFKA_ENV, ...PG_ENV])],
  needs: ['kafka', 'postgres'],
  define: (command) =>
    command.requiredOption('--file <path>', 'trades to publish: .csv (header row), .jsonl or .ndjson (one per line)'),
};

export interface ProduceOptions {
  readonly count: number;
  readonly rate?: number;
  readonly seed: number;
  readonly errorRate: number;
  readonly undecodableRate: number;
  readonly date?: string;
  readonly dir: string;
}
export const produceSpec: CommandSpec = {
  path: ['produce'],
  summary: "publish simulated trades to trades.captured, keyed by the account's owner",
  examples: [
    'posttrade produce --count 1000 --rate 200',
    'posttrade produce --count 300 --date 2024-05-24 --error-rate 0 --undecodable-rate 0.01',
  ],
  environment: KAFKA_ENV,
  needs: ['kafka'],
  define: (command) =>
    command
      .option('--count <n>', 'trades to publish', integer(1), 100)
      .option('--rate <r>', 'at most R trades a second (default: as fast as the broker takes them)', positive)
      .option('--seed <s>', 'simulator seed; the same seed gives the same trades', integer(), 1)
      .option('--error-rate <p>', 'share (0..1) of trades built to fail validation', share, 0.05)
      .option(
        '--undecodable-rate <p>',
        'besides the trades, this share (0..1) of records no consumer can decode (bad UTF-8, truncated JSON, an ' +
          'unknown schema version, a key named twice, a NUL in a field); they go to trades.deadletter',
        share,
        0,
      )
      .option(
        '--date <yyyy-mm-dd>',
        "every trade on this trade date, spread over each venue's session (default: walk the calendar from its " +
          'first date, 100 trades a day)',
        isoDate,
      )
      .option('--dir <dir>', 'reference-data CSVs', SEED_DIR),
};

export interface CustodianOptions {
  readonly seed: number;
  readonly matchRate: number;
  readonly settleRate: number;
  readonly partialRate: number;
  readonly failRate: number;
  readonly recoverRate: number;
  readonly delayMs: number;
  readonly custodian?: string[];
  readonly statementDate?: string;
  readonly breakRate: number;
  readonly breakClasses?: string[];
  readonly once: boolean;
  readonly dir: string;
}
const INJECTABLE = Object.values(InjectableBreak).map((c) => c.toLowerCase());

/** `quantity,missing_internal` → the break classes, upper case; an unknown one is a usage error. */
function breakClasses(text: string): string[] {
  const classes = list(text).map((c) => c.toLowerCase());
  const unknown = classes.filter((c) => !INJECTABLE.includes(c));
  if (unknown.length > 0)
    throw new InvalidArgumentError(`unknown ${unknown.join(', ')}; known ${INJECTABLE.join(', ')}`);
  return classes.map((c) => c.toUpperCase());
}

export const custodianSpec: CommandSpec = {
  path: ['custodian'],
  summary: 'answer settlement instructions as a custodian would (settlement.status), and publish statements',
  examples: [
    'posttrade custodian --once',
    'posttrade custodian --statement-date 2024-05-28 --break-rate 0.1 --break-classes quantity,missing_internal --once',
  ],
  environment: KAFKA_ENV,
  needs: ['kafka'],
  define: (command) => {
    const d = DEFAULT_CUSTODIAN_RATES;
    return command
      .option('--seed <s>', 'simulator seed: the same seed gives the same answers', integer(), 1)
      .option('--match-rate <r>', 'share of instructions matched', share, d.matchRate)
      .option('--settle-rate <r>', 'share of matched instructions settled on the settlement date', share, d.settleRate)
      .option('--partial-rate <r>', 'share of settlements made in parts', share, d.partialRate)
      .option('--fail-rate <r>', 'share of instructions that fail', share, d.failRate)
      .option('--recover-rate <r>', 'share of failed instructions that settle later', share, d.recoverRate)
      .option('--delay-ms <ms>', 'wait before each answer', nonNegative, 200)
      .option('--custodian <bic,...>', 'answer only instructions to these agents (default: every agent)', list)
      .option(
        '--statement-date <yyyy-mm-dd>',
        "once caught up, publish this date's statements to custody.statements",
        isoDate,
      )
      .option('--break-rate <r>', 'share of statement lines given a deliberate difference (listed on stderr)', share, 0)
      .option(
        '--break-classes <classes>',
        `differences to inject, comma-separated: ${INJECTABLE.join(',')}`,
        breakClasses,
      )
      .option('--once', 'exit once every instruction is answered (and the statements published)', false)
      .option('--dir <dir>', 'reference data: the settlement calendars (ssis.csv, holidays.csv)', SEED_DIR);
  },
};

export interface RefdataLoadOptions {
  readonly dir: string;
  readonly priceHistory?: number;
  readonly seed: number;
}
export const refdataLoadSpec: CommandSpec = {
  path: ['refdata', 'load'],
  summary: 'load the reference-data CSVs into PostgreSQL (the schema must be migrated)',
  examples: [
    'posttrade refdata load',
    'posttrade refdata load --dir ./my-refdata',
    'posttrade refdata load --price-history 251',
  ],
  environment: PG_ENV,
  needs: ['postgres'],
  define: (command) =>
    command
      .option('--dir <dir>', 'directory of the CSVs (the layout of migrations/seed)', SEED_DIR)
      .option(
        '--price-history <days>',
        "also store DAYS simulated closes before each instrument's first close (251: a VaR window); stored closes stay",
        integer(1),
      )
      .option('--seed <s>', 'seed of the simulated history; the same seed gives the same closes', integer(), 1),
};

export interface ReconReportOptions {
  readonly date: string;
}
export const reconReportSpec: CommandSpec = {
  path: ['recon', 'report'],
  summary: 'print the reconciliation breaks open at the close of a date, aged in business days',
  examples: ['posttrade recon report --date 2024-05-28'],
  environment: PG_ENV,
  needs: ['postgres'],
  define: (command) => command.requiredOption('--date <yyyy-mm-dd>', 'the close to report at', isoDate),
};

export interface ReconImportOptions {
  readonly file: string;
}
export const reconImportSpec: CommandSpec = {
  path: ['recon', 'import'],
  summary: 'reconcile a custody statement file (.json, .jsonl or .csv); invalid lines by number, exit 1',
  examples: ['posttrade recon import --file statement.json', 'posttrade recon import --file statements.csv'],
  environment: [...PG_ENV, 'KAFKA_BROKERS', 'KAFKA_PORT'],
  needs: ['postgres', 'kafka'],
  define: (command) =>
    command.requiredOption('--file <path>', 'statement file: .json (one or an array), .jsonl, or .csv (see README)'),
};

export const ReportFormats = ['json', 'csv', 'html'] as const;
export interface ReportDailyOptions {
  readonly date?: string;
  readonly format: (typeof ReportFormats)[number];
  readonly out?: string;
}
export const reportDailySpec: CommandSpec = {
  path: ['report', 'daily'],
  summary: 'run and store the daily P&L report of a date, written to a file or stdout',
  examples: ['posttrade report daily --date 2024-05-28 --format html --out pnl.html'],
  environment: PG_ENV,
  needs: ['postgres'],
  define: (command) =>
    command
      .option('--date <yyyy-mm-dd>', 'the report date (default: the previous business day)', isoDate)
      .addOption(new Option('--format <format>', 'output format').choices(ReportFormats).default('json'))
      .option('--out <file>', 'write here (and a one-line summary to stderr) instead of stdout'),
};

export interface ReportPositionsOptions {
  readonly account?: string[];
  readonly format: 'json' | 'csv';
}
export const reportPositionsSpec: CommandSpec = {
  path: ['report', 'positions'],
  summary: 'positions with market value at the latest end-of-day price',
  examples: ['posttrade report positions --account ACC-001 --account ACC-002 --format csv'],
  environment: PG_ENV,
  needs: ['postgres'],
  define: (command) =>
    command
      .option('--account <id>', 'only this account (repeat for more)', collect)
      .addOption(new Option('--format <format>', 'output format').choices(['json', 'csv']).default('json')),
};

export interface RiskOptions {
  readonly account?: string;
  readonly asOf?: string;
  readonly format: 'text' | 'json';
}
export const riskSpec: CommandSpec = {
  path: ['risk'],
  summary: "evaluate an account's risk now (exposure, margin, alerts raised or cleared) and print it",
  examples: ['posttrade risk --account ACC-001', 'posttrade risk --account ACC-001 --as-of 2024-05-28 --format json'],
  environment: PG_ENV,
  needs: ['postgres'],
  define: (command) =>
    command
      // Required of `risk` itself only: commander's requiredOption would demand it of `risk eod` too.
      .option('--account <id>', 'the account (required)')
      .hook('preAction', (self, actionCommand) => {
        if (self === actionCommand && self.opts().account === undefined)
          self.error("error: required option '--account <id>' not specified", { exitCode: 2 });
      })
      .option(
        '--as-of <yyyy-mm-dd>',
        'mark at the latest closes on or before this date and only print it (the current risk is not replaced)',
        isoDate,
      )
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text')),
};

export interface RiskEodOptions {
  readonly date?: string;
  readonly format: 'text' | 'json';
}
export const riskEodSpec: CommandSpec = {
  path: ['risk', 'eod'],
  summary: "run a date's end-of-day risk (every account's exposure, margin and VaR, stored) and publish its alerts",
  examples: ['posttrade risk eod --date 2024-05-28', 'posttrade risk eod --format json'],
  environment: [...PG_ENV, 'KAFKA_BROKERS', 'KAFKA_PORT'],
  needs: ['postgres', 'kafka'],
  define: (command) =>
    command
      .option(
        '--date <yyyy-mm-dd>',
        'the date (default: the previous business day, as the schedule runs it); a past date is refused once a ' +
          'later trade changed the positions',
        isoDate,
      )
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text')),
};

export interface SmokeOptions {
  readonly url?: string;
  readonly token: string;
  readonly account: string;
  readonly isin: string;
  readonly mic: string;
  readonly currency: string;
  readonly price: string;
  readonly quantity: string;
  readonly counterparty: string;
  readonly date: string;
  readonly keep: boolean;
  readonly timeoutMs: number;
}
export const smokeSpec: CommandSpec = {
  path: ['smoke'],
  summary: 'post a trade to a stack through its API, follow it to its position, cancel it and see it return',
  examples: [
    'posttrade smoke',
    'posttrade smoke --url https://abc123.execute-api.eu-west-1.amazonaws.com --token "$JWT"',
  ],
  environment: ['HTTP_PORT', 'POSTTRADE_DATA_DIR'],
  needs: [],
  define: (command) =>
    command
      .option(
        '--url <url>',
        "the API's base URL: the HttpApiUrl output of sls deploy (default: the local stack's, http://localhost:HTTP_PORT)",
      )
      .option(
        '--token <t>',
        "bearer token: a JWT of the stack's issuer with the account in its accounts claim",
        'dev-token',
      )
      .option('--account <a>', 'account', 'ACC-001')
      .option('--isin <isin>', 'instrument', 'US0378331005')
      .option('--mic <mic>', 'venue', 'XNYS')
      .option('--currency <ccy>', 'currency', 'USD')
      .option('--price <p>', 'price', '170.00')
      .option('--quantity <q>', 'quantity', '1')
      .option('--counterparty <lei>', 'counterparty LEI', 'W22LROWP2IHZNBB6K528')
      .option(
        '--date <yyyy-mm-dd>',
        'trade date (a business day the seed reference data prices)',
        isoDate,
        '2024-04-02',
      )
      .option('--keep', 'leave the trade booked', false)
      .option('--timeout-ms <ms>', 'how long each step may take', integer(1), 120_000),
};

export interface DemoCliOptions {
  readonly days: number;
  readonly from: string;
  readonly trades: number;
  readonly seed?: number;
  readonly keep: boolean;
  readonly stallTimeout: number;
  readonly undecodableRate: number;
}
/** Default trades a day: enough for every account to carry positions, small enough for a run of a minute or two. */
export const DEFAULT_TRADES_PER_DAY = 300;
/** Default share of undecodable records besides the trades: one or two a day at 300 trades. */
export const DEFAULT_UNDECODABLE_RATE = 0.005;
export const demoSpec: CommandSpec = {
  path: ['demo'],
  summary: 'the whole lifecycle over several business days on the local stack (started and stopped for it)',
  examples: ['posttrade demo', 'posttrade demo --days 3 --from 2024-05-24 --trades 100 --keep'],
  environment: ['POSTTRADE_DATA_DIR', 'KAFKA_PORT', 'PG_PORT', 'HTTP_PORT', 'LAMBDA_PORT', 'DATABASE_URL'],
  needs: [],
  define: (command) =>
    command
      .option(
        '--days <n>',
        `business days to live through (at most ${MAX_DAYS}): weekdays on which some venue trades`,
        integer(1, MAX_DAYS),
        DEFAULT_DAYS,
      )
      .option(
        '--from <yyyy-mm-dd>',
        "the first day; past the seed data's last close (2024-06-28) the simulator generates prices and FX rates",
        isoDate,
        DEFAULT_FIRST_DAY,
      )
      .option(
        '--trades <n>',
        'simulated trades a day, 5% of them built to fail validation',
        integer(1),
        DEFAULT_TRADES_PER_DAY,
      )
      .option(
        '--seed <s>',
        "simulator seed, also the custodian's (default: the first not used in this data directory)",
        integer(),
      )
      .option('--keep', 'leave the stack running afterwards (npm run stop ends it)', false)
      .option('--stall-timeout <sec>', 'fail when a step makes no progress for this long', positive, 120)
      .option(
        '--undecodable-rate <p>',
        'besides the trades, this share of records no consumer can decode, to show the dead-letter path',
        share,
        DEFAULT_UNDECODABLE_RATE,
      ),
};

export const migrateSpec: CommandSpec = {
  path: ['migrate'],
  summary: 'apply the pending SQL migrations (forward only) to PostgreSQL',
  examples: ['posttrade migrate', 'DATABASE_URL=postgres://app:secret@db.internal:5432/posttrade posttrade migrate'],
  environment: PG_ENV,
  needs: ['postgres'],
  define: (command) => command,
};

export interface StatusOptions {
  readonly json: boolean;
}
export const statusSpec: CommandSpec = {
  path: ['status'],
  summary:
    "the pipeline's health: consumer lag per group and partition, each stage's last batch, counts, dead letters; " +
    'exit 0 healthy, 1 degraded, 2 down (broker or database unreachable)',
  examples: ['posttrade status', 'posttrade status --json', 'STATUS_LAG_MAX=100 posttrade status || echo attention'],
  environment: [
    ...KAFKA_ENV,
    'DATABASE_URL',
    'PG_PORT',
    'STAGE',
    'STATUS_LAG_MAX',
    'STATUS_DEAD_LETTERS_PER_HOUR_MAX',
    'STATUS_STALE_STAGE_SECONDS',
  ],
  // Not checked by the runner: an unreachable broker or database is this command's answer (down, exit 2), not an error.
  needs: [],
  define: (command) => command.option('--json', 'one JSON document instead of text', false),
};

export interface SchemasOptions {
  readonly check: boolean;
}
export const schemasSpec: CommandSpec = {
  path: ['schemas'],
  summary:
    "write every event's JSON Schema (generated from its zod schema) under schemas/; an incompatible change " +
    'without a version bump is refused (exit 1)',
  examples: ['posttrade schemas', 'posttrade schemas --check'],
  environment: [],
  needs: [],
  define: (command) =>
    command.option('--check', 'write nothing; exit 1 when a file is missing, out of date or incompatible', false),
};

export const ConfigFormats = ['text', 'env', 'json'] as const;
export interface ConfigOptions {
  readonly format: (typeof ConfigFormats)[number];
}
export const configSpec: CommandSpec = {
  path: ['config'],
  summary: 'show the settings every command uses and where each comes from (environment, running stack, default)',
  examples: ['posttrade config', 'KAFKA_PORT=19092 posttrade config --format env'],
  environment: [
    'POSTTRADE_DATA_DIR',
    'KAFKA_BROKERS',
    'KAFKA_PORT',
    'DATABASE_URL',
    'PG_PORT',
    'HTTP_PORT',
    'LAMBDA_PORT',
  ],
  needs: [],
  define: (command) =>
    command.addOption(
      new Option('--format <format>', 'text for people (passwords hidden), env for shells, json')
        .choices(ConfigFormats)
        .default('text'),
    ),
};

/** Every command, in the order `posttrade --help` lists them. */
export interface TraceOptions {
  readonly id: string;
  readonly json?: boolean;
}
export const traceSpec: CommandSpec = {
  path: ['trace'],
  summary:
    "a trade's path through the stages with timestamps, by ExecID, trade id or correlation id; exit 1 if unknown",
  examples: ['posttrade trace TR-20240402-0001', 'posttrade trace EX-20240402-0001 --json'],
  environment: PG_ENV,
  needs: ['postgres'],
  define: (command) =>
    command
      .argument('<id>', 'an ExecID, a trade id or a correlation id')
      .option('--json', 'the timeline as JSON instead of lines'),
};

export const COMMAND_SPECS: readonly CommandSpec[] = [
  submitSpec,
  produceSpec,
  custodianSpec,
  refdataLoadSpec,
  reconReportSpec,
  reconImportSpec,
  reportDailySpec,
  reportPositionsSpec,
  riskSpec,
  riskEodSpec,
  smokeSpec,
  demoSpec,
  migrateSpec,
  configSpec,
  statusSpec,
  schemasSpec,
  traceSpec,
];

/** Text after a command's options: its examples and the settings it reads. */
export function helpFooter(spec: Pick<CommandSpec, 'examples' | 'environment'>): string {
  const lines = ['', 'Examples:', ...spec.examples.map((example) => `  $ ${example}`)];
  if (spec.environment.length > 0) {
    lines.push('', `Settings: ${spec.environment.join(', ')} (see \`posttrade config\` and README "Settings")`);
  }
  return lines.join('\n');
}

/**
 * The options of `spec` parsed from `argv` (the arguments after the command words), as the command line gives them
 * to the command; a bad option throws UsageError with commander's message.
 */
export function parseOptions<O>(spec: CommandSpec, argv: readonly string[]): O {
  const command = spec.define(new Command(spec.path.join(' ')));
  command.exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  try {
    command.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) throw new UsageError(error.message.replace(/^error: /, ''), { cause: error });
    throw error;
  }
  return command.opts<O & Record<string, unknown>>();
}
