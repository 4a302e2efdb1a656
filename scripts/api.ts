/**
 * npm run api [-- --data-dir .sluice] [--port 4810] [--host 127.0.0.1] [--kafka]
 * The local jobs API server on its own (cli/commands/api.ts; also `sluice api`).
 */
import { apiCommand } from '../cli/commands/api.js';

await apiCommand('npm run api --').parseAsync();
