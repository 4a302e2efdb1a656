/**
 * npm start [-- --data-dir .sluice] [--events 60000] [--max-records 1000] [--source kinesis|kafka] [--sink dynamodb|s3|kinesis] [--reset] [--no-check]
 * The demo command on its own (cli/commands/demo.ts; also `sluice demo`).
 */
import { demoCommand } from '../cli/commands/demo.js';

await demoCommand('npm start --').parseAsync();
