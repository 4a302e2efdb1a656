/**
 * npm run bench:state [-- --keys 10000,100000,1000000] [--records 1000] [--json]
 * The state-scale benchmark on its own (cli/commands/bench-state.ts; also `sluice bench state`).
 */
import { benchStateCommand } from '../cli/commands/bench-state.js';

await benchStateCommand('npm run bench:state --').parseAsync();
