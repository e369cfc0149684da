/**
 * `npx tsx check …` in this repository resolves here (tsx adds the .ts): the composition root,
 * which gives the CLI weft's own scenarios as its registry and the command replays are printed with.
 */
import { runProcess } from './src/cli/process';
import { scenarios } from './scenarios/index';

void runProcess({ registry: scenarios, command: 'npx tsx check' });
