/**
 * Before the local runtime or a test run starts anything: are Java (DynamoDB Local) and,
 * when Kafka is wanted, kcat on this machine? As root with apt-get, what is missing is
 * installed (non-interactively, as .ci/run does); otherwise nothing starts and the error
 * gives the exact command (local/prerequisites.ts decides). A Node.js older than
 * package.json's `engines` is reported too: a warning, or, with `strictNode` (.ci/run), the
 * same stop.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ConfigurationError } from '../engine/errors.js';
import { javaMajorVersion, nodeVersionProblem, prerequisitePlan, type Tool, TOOLS } from './prerequisites.js';

export interface ProvisionOptions {
  /** What needs them, as the message names it ("npm test", "the local runtime"). */
  readonly what: string;
  /** Whether kcat is needed too (the local Kafka). */
  readonly kafka: boolean;
  /** Stop, not warn, on a Node.js older than package.json's engines. */
  readonly strictNode?: boolean;
  readonly log?: (line: string) => void;
}

/** A prerequisite is missing: the message says what and the command that installs it; no stack trace to read past. */
export class MissingPrerequisiteError extends ConfigurationError {
  constructor(message: string) {
    super(message);
    this.name = 'MissingPrerequisiteError';
    this.stack = `${this.name}: ${message}`;
  }
}

let checked = { java: false, kcat: false, node: false };

export function ensurePrerequisites(options: ProvisionOptions): void {
  const log = options.log ?? ((line: string) => console.error(line));
  checkNode(options, log);
  const wanted: Tool[] = options.kafka ? ['java', 'kcat'] : ['java'];
  const needs = wanted.filter((t) => !checked[t]);
  if (needs.length === 0) return;
  const facts = () => ({
    needs,
    found: new Set(needs.filter((tool) => (tool === 'java' ? hasJava() : hasCommand(tool)))),
    root: process.getuid?.() === 0,
    aptGet: hasCommand('apt-get'),
  });
  const plan = prerequisitePlan(facts(), options.what);
  if (plan.kind === 'stop') throw new MissingPrerequisiteError(plan.message);
  if (plan.kind === 'install') {
    log(`installing ${plan.tools.map((t) => TOOLS[t].purpose).join(' and ')} (apt-get, as root)`);
    for (const [command, ...args] of plan.commands) {
      const run = spawnSync(command!, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
      if (run.status !== 0) {
        throw new MissingPrerequisiteError(
          `${options.what} needs ${plan.tools.map((t) => TOOLS[t].purpose).join(' and ')}; installing failed (${[command, ...args].join(' ')} exited ${run.status ?? run.signal ?? run.error?.message}). Install it yourself, then run it again.`,
        );
      }
    }
    const after = prerequisitePlan(facts(), options.what);
    if (after.kind !== 'ready')
      throw new MissingPrerequisiteError(`apt-get installed them, yet: ${after.kind === 'stop' ? after.message : ''}`);
  }
  for (const tool of needs) checked[tool] = true;
}

/** Forget what was found (tests). */
export function resetPrerequisiteChecks(): void {
  checked = { java: false, kcat: false, node: false };
}

function checkNode(options: ProvisionOptions, log: (line: string) => void): void {
  if (checked.node) return;
  const engines = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { engines?: { node?: string } }).engines
    ?.node;
  const problem = engines === undefined ? undefined : nodeVersionProblem(process.version, engines);
  if (problem !== undefined) {
    if (options.strictNode) throw new MissingPrerequisiteError(problem);
    log(`warning: ${problem}`);
  }
  checked.node = true;
}

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** A Java runtime of version 17 or later (DynamoDB Local's minimum). */
function hasJava(): boolean {
  if (!hasCommand('java')) return false;
  const run = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const major = javaMajorVersion(`${run.stderr ?? ''}${run.stdout ?? ''}`);
  return major === null || major >= 17;
}
