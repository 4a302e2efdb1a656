/**
 * `sluice new job <name>`: a new job in the project, ready to test. Writes
 * jobs/<name>/job.ts (a small defineJob: stream `<name>-input`, a sum per key per minute,
 * DynamoDB table `<name>-results`), jobs/<name>/job.test.ts (a harness test that passes as
 * written) and adds the job to jobs/catalog.ts (cli/scaffold/). Everything is checked
 * before anything is written: an invalid name, an existing job or a catalog it cannot edit
 * write nothing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { JOB_NAME } from '../../engine/job/define-job.js';
import { newCommand, usageError, withHelpCommand } from '../program.js';
import { CatalogEditError, withCatalogEntry } from '../scaffold/catalog-edit.js';
import { jobIdentifier, jobSource, jobTestSource, scaffoldNames } from '../scaffold/job-template.js';

/** Exit code: the job cannot be added (it exists, or the catalog is missing or not editable); nothing written. */
const REFUSED = 3;

export interface ScaffoldedJob {
  /** The files written, from the project directory. */
  readonly files: readonly string[];
  readonly identifier: string;
}

/** Writes job `name` into the project at `dir`; throws CatalogEditError, writing nothing, when it cannot. */
export function scaffoldJob(dir: string, name: string): ScaffoldedJob {
  const catalogPath = join(dir, 'jobs', 'catalog.ts');
  if (!existsSync(catalogPath)) {
    throw new CatalogEditError(`${catalogPath} does not exist: run this in a Sluice project (or name one with --dir)`);
  }
  const jobDir = join(dir, 'jobs', name);
  if (existsSync(jobDir)) throw new CatalogEditError(`jobs/${name} already exists in ${dir}: choose another name, or remove it first`);
  const catalog = withCatalogEntry(readFileSync(catalogPath, 'utf8'), name);
  mkdirSync(jobDir);
  const files = [join(jobDir, 'job.ts'), join(jobDir, 'job.test.ts'), catalogPath];
  writeFileSync(files[0]!, jobSource(name));
  writeFileSync(files[1]!, jobTestSource(name));
  writeFileSync(catalogPath, catalog);
  return { files: files.map((f) => relative(dir, f)), identifier: jobIdentifier(name) };
}

export function newJobCommand(): Command {
  return newCommand('job')
    .usage('<name> [options]')
    .summary('write a new job, its harness test and its catalog entry')
    .description(
      [
        'Writes jobs/<name>/job.ts (a job summing a number per key per minute, from Kinesis stream <name>-input into DynamoDB table <name>-results),',
        'jobs/<name>/job.test.ts (a harness test: npx vitest run jobs/<name>) and adds the job to jobs/catalog.ts.',
        'Nothing is written when the name is taken or the catalog cannot be edited. Then: docs/own-job.md.',
      ].join(' '),
    )
    .argument('<name>', "the job's name: 1-63 lower-case letters, digits or '-', starting with a letter or digit")
    .option('--dir <path>', 'the project directory (default: the current directory)')
    .addHelpText('after', '\nexit codes: 0 written, 2 bad arguments, 3 refused (nothing written)')
    .action((name: string, options: { dir?: string }, self: Command) => {
      if (!JOB_NAME.test(name)) {
        usageError(
          self,
          `job name ${JSON.stringify(name)} must be 1-63 lower-case letters, digits or '-', starting with a letter or digit`,
        );
      }
      const dir = resolve(options.dir ?? '.');
      try {
        const { files, identifier } = scaffoldJob(dir, name);
        const { stream, table } = scaffoldNames(name);
        console.log(`new job ${name} (${identifier}): stream ${stream} -> table ${table}`);
        for (const file of files) console.log(`  wrote ${file}`);
        console.log(`  test it:  npx vitest run jobs/${name}`);
        console.log(`  run it:   docs/own-job.md (npm run api, then npx sluice jobs start ${name})`);
      } catch (error) {
        if (!(error instanceof CatalogEditError)) throw error;
        console.error(`sluice new job: ${error.message}`);
        process.exit(REFUSED);
      }
    });
}

/** `sluice new <what>`: scaffolds; `job` is the one there is. */
export function newScaffoldCommand(): Command {
  return withHelpCommand(newCommand('new'))
    .usage('<what> [options]')
    .summary('scaffold a new job')
    .description('Scaffolds: `sluice new job <name>` writes a job, its harness test and its catalog entry.')
    .addCommand(newJobCommand());
}
