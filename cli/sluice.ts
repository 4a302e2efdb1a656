/**
 * The `sluice` command (package.json "bin" → bin/sluice.js): the jobs API from a shell, the
 * operator commands that work on a job's write-ahead log directly (checkpoints, replay),
 * and the local tools (demo, bench, cost, api). Each command is a file of cli/commands/;
 * the npm scripts (scripts/*.ts) run the same commands on their own.
 */
import { apiCommand } from './commands/api.js';
import { benchStateCommand } from './commands/bench-state.js';
import { benchCommand } from './commands/bench.js';
import { checkpointsCommand } from './commands/checkpoints.js';
import { copyDeadLettersCommand } from './commands/copy-dead-letters.js';
import { costCommand } from './commands/cost.js';
import { demoCommand } from './commands/demo.js';
import { jobsCommand } from './commands/jobs.js';
import { newScaffoldCommand } from './commands/new-job.js';
import { produceCommand } from './commands/produce.js';
import { replayCommand } from './commands/replay.js';
import { sinkFilesCommand } from './commands/sink-files.js';
import { smokeCommand } from './commands/smoke.js';
import { newCommand, withHelpCommand } from './program.js';

const program = withHelpCommand(newCommand('sluice'))
  .usage('<command> [options]')
  .description(
    [
      "Sluice from a shell: jobs through the jobs API (the local one, npm run api, or the deployed stack's);",
      "checkpoints and replay on a job's write-ahead log directly (the local runtime's data directory, or AWS with --aws and the table and bucket names);",
      "and the local runtime's demo, benchmarks, cost meter and API server.",
    ].join(' '),
  )
  .addCommand(jobsCommand())
  .addCommand(produceCommand())
  .addCommand(checkpointsCommand())
  .addCommand(replayCommand())
  .addCommand(copyDeadLettersCommand())
  .addCommand(sinkFilesCommand())
  .addCommand(smokeCommand())
  .addCommand(demoCommand())
  .addCommand(benchCommand().addCommand(benchStateCommand()))
  .addCommand(costCommand())
  .addCommand(apiCommand())
  .addCommand(newScaffoldCommand())
  .addHelpText('after', '\n"sluice <command> --help" shows a command\'s options and exit codes (2 is always bad arguments).');

await program.parseAsync();
