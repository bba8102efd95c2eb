#!/usr/bin/env node
/**
 * `posttrade <command> [options]`: the platform's command line (package.json "bin").
 *
 * Each command is a TypeScript module under lib/ (or localstack/) that runs when executed; this launcher only
 * picks the module and runs it through tsx in a child process, passing the remaining arguments and the exit code
 * through. To add a command, add a line to COMMANDS: the words that name it and the module that implements it.
 */
'use strict';

const { spawn } = require('node:child_process');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/** Command words → module (relative to the repository root) and one line of help. Longest match wins. */
const COMMANDS = [
  {
    words: ['refdata', 'load'],
    module: 'lib/refdata/cli.ts',
    help: 'refdata load [--dir DIR]   load reference-data CSVs (default migrations/seed)',
  },
  {
    words: ['recon', 'report'],
    module: 'lib/recon/report-cli.ts',
    help: 'recon report --date D      print reconciliation breaks open at close of D, aged',
  },
  {
    words: ['recon', 'import'],
    module: 'lib/recon/import-cli.ts',
    help: 'recon import --file statement.json|csv   reconcile a custody statement file; invalid lines by number',
  },
  {
    words: ['custodian'],
    module: 'lib/custodian/cli.ts',
    help: 'custodian [--seed S] [--match-rate R] [--settle-rate R] [--partial-rate R] [--fail-rate R] [--delay-ms MS] [--statement-date D --break-rate R] [--once]   simulate the custodian',
  },
  {
    words: ['report', 'daily'],
    module: 'lib/pnl/daily-cli.ts',
    help: 'report daily --date YYYY-MM-DD [--format json|csv|html] [--out FILE]   run and store the daily P&L report',
  },
  {
    words: ['report', 'positions'],
    module: 'lib/pnl/positions-cli.ts',
    help: 'report positions [--account ID] [--format json|csv]   positions with market value',
  },
  {
    words: ['produce'],
    module: 'lib/simulator/cli.ts',
    help: 'produce --count N [--rate R] [--seed S] [--error-rate P] [--date YYYY-MM-DD]   publish simulated trades to trades.captured',
  },
  {
    words: ['smoke'],
    module: 'lib/smoke/cli.ts',
    help: 'smoke --url URL [--token T] [--keep]   post a trade to a deployed stack, follow it to its position, cancel it',
  },
  {
    words: ['submit'],
    module: 'lib/import/cli.ts',
    help: 'submit --file trades.csv|trades.jsonl   publish a trade file; invalid rows reported by line',
  },
];

function usage(stream) {
  stream.write('usage: posttrade <command> [options]\n\ncommands:\n');
  for (const command of COMMANDS) stream.write(`  ${command.help}\n`);
}

function resolveCommand(argv) {
  const matches = COMMANDS.filter((command) => command.words.every((word, index) => argv[index] === word));
  matches.sort((a, b) => b.words.length - a.words.length);
  return matches[0];
}

function main(argv) {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    usage(process.stdout);
    return;
  }
  const command = resolveCommand(argv);
  if (command === undefined) {
    process.stderr.write(`posttrade: unknown command: ${argv.join(' ')}\n\n`);
    usage(process.stderr);
    process.exitCode = 2;
    return;
  }
  const args = [require.resolve('tsx/cli'), path.join(ROOT, command.module), ...argv.slice(command.words.length)];
  const child = spawn(process.execPath, args, { stdio: 'inherit' });
  // Ctrl-C reaches the child through the terminal's process group; forward what a supervisor sends us directly.
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal === null ? 1 : 128);
  });
}

main(process.argv.slice(2));
