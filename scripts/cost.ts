/**
 * npm run cost [-- --batches 20] [--json]
 * The cost meter on its own (cli/commands/cost.ts; also `sluice cost`).
 */
import { costCommand } from '../cli/commands/cost.js';

await costCommand('npm run cost --').parseAsync();
