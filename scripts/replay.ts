/**
 * npm run replay -- --job <id> --from-batch <N> [--to-batch <M>] [--into <new job id>] [--regroup] [--force] [--dry-run]
 * The replay command on its own (cli/commands/replay.ts; also `sluice replay`).
 */
import { replayCommand } from '../cli/commands/replay.js';

await replayCommand('npm run replay --').parseAsync();
