import { positions, runCommand } from './cli';

runCommand(positions);
