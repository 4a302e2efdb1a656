/**
 * What the local runtime needs from the machine besides `npm ci`, and what to do when it is
 * missing. Pure: the caller says which commands exist and whether it runs as root
 * (local/provision.ts looks); the plan says install, or stop with the exact command.
 *
 *   java   DynamoDB Local (every test run, npm start, npm run api): Debian's openjdk-17-jre-headless
 *   kcat   librdkafka's mock Kafka cluster (the Kafka tests, --source kafka, npm run api -- --kafka): Debian's kcat
 *
 * As root with apt-get (a fresh Debian machine, CI), what is missing is installed,
 * non-interactively; otherwise nothing runs, and the message gives the command to type.
 * Node.js itself is checked against package.json's `engines` (nodeVersionProblem).
 */

export type Tool = 'java' | 'kcat';

/** The Debian package that brings each tool, and what it is for. */
export const TOOLS: Readonly<Record<Tool, { readonly aptPackage: string; readonly purpose: string }>> = {
  java: { aptPackage: 'openjdk-17-jre-headless', purpose: 'Java 17+ for DynamoDB Local' },
  kcat: { aptPackage: 'kcat', purpose: "kcat for the local Kafka (librdkafka's mock cluster)" },
};

export interface MachineFacts {
  /** The tools the run needs (java always; kcat when it starts Kafka). */
  readonly needs: readonly Tool[];
  /** The tools found on the PATH (java: a runtime of version 17 or later). */
  readonly found: ReadonlySet<Tool>;
  /** Whether the process runs as root (uid 0). */
  readonly root: boolean;
  /** Whether apt-get is on the PATH. */
  readonly aptGet: boolean;
}

export type PrerequisitePlan =
  | { readonly kind: 'ready' }
  /** Run these commands (as root, no prompt), then go on. */
  | { readonly kind: 'install'; readonly tools: readonly Tool[]; readonly commands: readonly (readonly string[])[] }
  /** Run nothing: print the message (it ends with the command to type) and exit. */
  | { readonly kind: 'stop'; readonly tools: readonly Tool[]; readonly message: string };

/** The command a user types to install `tools` on Debian or Ubuntu. */
export function installCommand(tools: readonly Tool[]): string {
  return `sudo apt-get install -y ${tools.map((t) => TOOLS[t].aptPackage).join(' ')}`;
}

export function prerequisitePlan(facts: MachineFacts, what: string): PrerequisitePlan {
  const missing = [...new Set(facts.needs)].filter((tool) => !facts.found.has(tool));
  if (missing.length === 0) return { kind: 'ready' };
  if (facts.root && facts.aptGet) {
    const packages = missing.map((t) => TOOLS[t].aptPackage);
    return {
      kind: 'install',
      tools: missing,
      commands: [
        ['apt-get', 'update', '-qq'],
        ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages],
      ],
    };
  }
  const lacking = missing.map((t) => TOOLS[t].purpose).join(' and ');
  const how = facts.aptGet
    ? `Install ${missing.length === 1 ? 'it' : 'them'}, then run it again:\n  ${installCommand(missing)}`
    : `Install ${missing.length === 1 ? 'it' : 'them'} with your system's package manager (on Debian or Ubuntu: ${installCommand(missing)}), then run it again.`;
  return { kind: 'stop', tools: missing, message: `${what} needs ${lacking}, which this machine lacks. ${how}` };
}

/** The major version in `java -version`'s output ("openjdk version "17.0.13" ..." or "1.8.0_392"), or null. */
export function javaMajorVersion(output: string): number | null {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  if (match === null) return null;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

/** The command that installs Node.js 24 (the functions' runtime) on Debian or Ubuntu. */
export const INSTALL_NODE = 'curl -fsSL https://deb.nodesource.com/setup_24.x | sudo -E bash - && sudo apt-get install -y nodejs';

/**
 * Why this Node.js cannot run the project (package.json `engines.node`, which the lockfile's
 * packages require: test/unit/local/node-engines.test.ts), or undefined when it can.
 */
export function nodeVersionProblem(version: string, range: string): string | undefined {
  if (satisfiesRange(version, range)) return undefined;
  return `Sluice needs Node.js ${range} (package.json engines; its packages require it), this is ${version}. Install Node.js 24:\n  ${INSTALL_NODE}`;
}

/**
 * Whether a version satisfies an engines range of the forms package.json uses: comparator
 * sets joined by `||`, each of `>=x.y.z`, `^x.y.z`, `x.y.z` or `x` separated by spaces.
 */
export function satisfiesRange(version: string, range: string): boolean {
  const v = parts(version.replace(/^v/, ''));
  if (v === null) return false;
  return range.split('||').some((set) => {
    const comparators = set.trim().split(/\s+/).filter(Boolean);
    return comparators.length > 0 && comparators.every((c) => satisfiesComparator(v, c));
  });
}

function satisfiesComparator(v: readonly number[], comparator: string): boolean {
  const match = /^(>=|\^)?v?(\d+(?:\.\d+){0,2})$/.exec(comparator);
  if (match === null) throw new Error(`unsupported version comparator ${JSON.stringify(comparator)}`);
  const given = match[2]!.split('.').length;
  const bound = parts(match[2]!)!;
  const order = compare(v, bound);
  if (match[1] === '>=') return order >= 0;
  if (match[1] === '^') return order >= 0 && v[0] === bound[0];
  // x, x.y or x.y.z: equal on the parts given.
  return v.slice(0, given).every((n, i) => n === bound[i]);
}

function parts(version: string): number[] | null {
  const match = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version);
  return match === null ? null : [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
