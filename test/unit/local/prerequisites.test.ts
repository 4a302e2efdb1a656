/**
 * What the local runtime and the tests do about Java and kcat (local/prerequisites.ts):
 * nothing when they are here, install them as root with apt-get, else stop with the
 * command to type; and when a test run needs Kafka (test/support/needs-kafka.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  installCommand,
  javaMajorVersion,
  nodeVersionProblem,
  prerequisitePlan,
  satisfiesRange,
  type MachineFacts,
  type Tool,
} from '../../../local/prerequisites.js';
import { testRunNeedsKafka } from '../../support/needs-kafka.js';

const facts = (needs: Tool[], found: Tool[], root: boolean, aptGet = true): MachineFacts => ({
  needs,
  found: new Set(found),
  root,
  aptGet,
});

describe('prerequisitePlan', () => {
  it('is ready when every needed tool is here, whoever runs it', () => {
    expect(prerequisitePlan(facts(['java', 'kcat'], ['java', 'kcat'], false), 'the tests')).toEqual({ kind: 'ready' });
    expect(prerequisitePlan(facts(['java'], ['java'], false, false), 'the tests')).toEqual({ kind: 'ready' });
  });

  it('asks for kcat only when Kafka is needed', () => {
    expect(prerequisitePlan(facts(['java'], ['java'], false), 'the local runtime').kind).toBe('ready');
    expect(prerequisitePlan(facts(['java', 'kcat'], ['java'], false), 'the local runtime').kind).toBe('stop');
  });

  it('installs what is missing as root with apt-get, non-interactively, and nothing else', () => {
    expect(prerequisitePlan(facts(['java', 'kcat'], ['kcat'], true), 'the tests')).toEqual({
      kind: 'install',
      tools: ['java'],
      commands: [
        ['apt-get', 'update', '-qq'],
        ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'openjdk-17-jre-headless'],
      ],
    });
  });

  it('stops without root, naming what is missing and the exact command', () => {
    const plan = prerequisitePlan(facts(['java', 'kcat'], [], false), 'the tests');
    expect(plan).toEqual({
      kind: 'stop',
      tools: ['java', 'kcat'],
      message:
        "the tests needs Java 17+ for DynamoDB Local and kcat for the local Kafka (librdkafka's mock cluster), which this machine lacks. Install them, then run it again:\n  sudo apt-get install -y openjdk-17-jre-headless kcat",
    });
  });

  it('stops as root without apt-get, giving the Debian command as the example', () => {
    const plan = prerequisitePlan(facts(['kcat'], ['java'], true, false), 'the local runtime');
    expect(plan.kind).toBe('stop');
    expect(plan.kind === 'stop' && plan.message).toContain(
      "with your system's package manager (on Debian or Ubuntu: sudo apt-get install -y kcat)",
    );
  });

  it('writes the install command for the tools given', () => {
    expect(installCommand(['kcat'])).toBe('sudo apt-get install -y kcat');
  });
});

describe('javaMajorVersion', () => {
  it.each([
    ['openjdk version "17.0.13" 2024-10-15', 17],
    ['openjdk version "21" 2023-09-19', 21],
    ['java version "1.8.0_392"', 8],
    ['no java here', null],
  ])('%s is %s', (output, major) => expect(javaMajorVersion(output)).toBe(major));
});

describe('the Node.js check', () => {
  it('accepts the versions of an engines range and refuses the others', () => {
    const range = '^22.13.0 || >=24';
    expect(satisfiesRange('v22.13.0', range)).toBe(true);
    expect(satisfiesRange('v24.11.1', range)).toBe(true);
    expect(satisfiesRange('v26.0.0', range)).toBe(true);
    expect(satisfiesRange('v22.12.9', range)).toBe(false);
    expect(satisfiesRange('v23.5.0', range)).toBe(false);
    expect(satisfiesRange('v20.20.2', range)).toBe(false);
    expect(satisfiesRange('v20.20.2', '>=20.19')).toBe(true);
    expect(satisfiesRange('v20.20.2', '18 || 20 || >=22')).toBe(true);
    expect(satisfiesRange('v21.0.0', '18 || 20 || >=22')).toBe(false);
  });

  it('says what it needs and how to install it', () => {
    expect(nodeVersionProblem('v24.11.1', '^22.13.0 || >=24')).toBeUndefined();
    expect(nodeVersionProblem('v20.20.2', '^22.13.0 || >=24')).toBe(
      'Sluice needs Node.js ^22.13.0 || >=24 (package.json engines; its packages require it), this is v20.20.2. Install Node.js 24:\n  curl -fsSL https://deb.nodesource.com/setup_24.x | sudo -E bash - && sudo apt-get install -y nodejs',
    );
  });
});

describe('testRunNeedsKafka', () => {
  const vitest = (...args: string[]) => ['node', 'vitest.mjs', ...args];
  it('is true for the whole suite and for runs that name Kafka tests', () => {
    expect(testRunNeedsKafka(vitest('run'))).toBe(true);
    expect(testRunNeedsKafka(vitest('run', '-t', 'resharding'))).toBe(true);
    expect(testRunNeedsKafka(vitest('run', 'test/scenario/crash-points-kafka.test.ts'))).toBe(true);
    expect(testRunNeedsKafka(vitest('run', 'test/unit/infra', 'test/contract/kafka-sink.test.ts'))).toBe(true);
  });

  it('is false for runs of other files, whatever their options', () => {
    expect(testRunNeedsKafka(vitest('run', 'test/unit/infra/catalog-grants.test.ts'))).toBe(false);
    expect(testRunNeedsKafka(vitest('run', 'test/infra', '-t', 'kafka grants', '--reporter', 'dot'))).toBe(false);
  });
});
