/**
 * `sluice sink-files --job <id>`: the files a job's file sink (s3FileSink) has committed,
 * read from its commit log (engine/file-sink/file-sink.ts), with the s3:// path of each:
 * what a reader that follows the log reads (docs/sinks/files.md).
 */
import type { Command } from 'commander';
import { describeError, isRefusal, NotFoundError } from '../../engine/errors.js';
import type { FileSink } from '../../engine/file-sink/file-sink.js';
import { liveEntries } from '../../engine/protocol/file-sink-log.js';
import { catalog } from '../../jobs/catalog.js';
import { formatCommittedFiles } from '../format/sink-files.js';
import { runOperatorCommand } from '../operator-command.js';
import { jobOfInstance } from '../operator-environment.js';
import { withOperatorTargetOptions, type OperatorTargetValues } from '../operator-target-options.js';
import { newCommand } from '../program.js';

interface SinkFilesOptions extends OperatorTargetValues {
  readonly job: string;
  readonly jobName?: string;
  readonly json?: boolean;
  readonly verbose?: boolean;
}

const EXIT_CODES = 'exit codes: 0 printed, 2 bad arguments, 3 no such job or not a file sink, 4 failure';

export function sinkFilesCommand(): Command {
  const command = newCommand('sink-files')
    .usage('--job <id> [options]')
    .summary("the files a job's file sink has committed")
    .description(
      "The files a job's file sink (s3FileSink) has committed, from its commit log: per committed batch (the newest generation's), each file's rows, bytes and s3:// path. Files not listed here are not committed.",
    )
    .requiredOption('--job <id>', 'the job instance (its id in the write-ahead log)')
    .option('--job-name <name>', "the job in jobs/catalog.ts (default: the job registry's record of the instance, else the job id itself)")
    .option('--json', 'print JSON instead of text')
    .option('--verbose', "log the engine's progress on stderr")
    .action(async (options: SinkFilesOptions, self: Command) => {
      await runOperatorCommand(
        self,
        options,
        async (env) => {
          const { job } = await jobOfInstance({
            jobId: options.job,
            jobName: options.jobName,
            parameters: {},
            registry: env.registry,
            catalog,
          });
          if (job.sink.type !== 's3files') throw new NotFoundError(`job ${options.job} writes a ${job.sink.type} sink, not files`);
          const sink = env.ports.sinks(job.sink) as FileSink;
          const live = liveEntries(await sink.readLog());
          if (options.json)
            console.log(
              JSON.stringify(
                live.map((e) => ({ ...e, files: e.files.map((f) => ({ ...f, uri: sink.uriOf(f.path) })) })),
                null,
                2,
              ),
            );
          else for (const line of formatCommittedFiles(live, (path) => sink.uriOf(path))) console.log(line);
          return 0;
        },
        (error) => {
          const refused = isRefusal(error);
          console.error(`sink-files: ${refused ? (error as Error).message : describeError(error)}`);
          return refused ? 3 : 4;
        },
      );
    });
  withOperatorTargetOptions(command);
  return command.addHelpText('after', `\n${EXIT_CODES}`);
}
