/**
 * npm run bench [-- --events 60000] [--empty-batches 20] [--keep] [--json]
 * The bench command on its own (cli/commands/bench.ts; also `sluice bench`).
 */
import { benchCommand } from '../cli/commands/bench.js';

await benchCommand('npm run bench --').parseAsync();
