/**
 * npm run copy-dead-letters -- [--job <id>] [--dry-run] [--letters-per-put <n>] [--aws --dead-letter-table <name> ...]
 * The copy-dead-letters command on its own (cli/commands/copy-dead-letters.ts; also `sluice copy-dead-letters`).
 */
import { copyDeadLettersCommand } from '../cli/commands/copy-dead-letters.js';

await copyDeadLettersCommand('npm run copy-dead-letters --').parseAsync();
