#!/usr/bin/env node
/**
 * `posttrade <command> [options]`: the platform's command line (package.json "bin"). Runs the built JavaScript,
 * dist/posttrade.js (lib/cli/main.ts bundled by scripts/build.js), building it first when it is missing or older
 * than the sources. Commands, options and exit codes: lib/cli/commands.ts and lib/cli/program.ts.
 */
'use strict';

const { BUNDLE, build, isStale } = require('./build.js');

if (isStale()) build();
require(BUNDLE);
