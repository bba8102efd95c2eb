import { daily, runCommand } from './cli';

runCommand(daily);
