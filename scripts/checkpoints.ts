/**
 * npm run checkpoints -- list --job <id>
 * npm run checkpoints -- show --job <id> (--partition <p> | --group <g>) [--version <v>] [--limit <n>]
 * The checkpoints command on its own (cli/commands/checkpoints.ts; also `sluice checkpoints`).
 */
import { checkpointsCommand } from '../cli/commands/checkpoints.js';

await checkpointsCommand('npm run checkpoints --').parseAsync();
