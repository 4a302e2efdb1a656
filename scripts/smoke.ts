/**
 * npm run smoke -- --stack <name> [--region <region>] (or --endpoint <url>)
 * The smoke test of a deployed stack on its own (cli/commands/smoke.ts; also `sluice smoke`).
 */
import { smokeCommand } from '../cli/commands/smoke.js';

await smokeCommand('npm run smoke --').parseAsync();
