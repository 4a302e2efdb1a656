/**
 * The Node.js version the project declares (package.json engines, the README) is one that
 * every package of the lockfile accepts. Checked with semver, which is in node_modules
 * through the project's dependencies (not a dependency of its own).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { satisfiesRange } from '../../../local/prerequisites.js';

const require = createRequire(import.meta.url);
const semver = require('semver') as {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
};
const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

const declared = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
const minimum = semver.minVersion(declared)!.version;

describe('the Node.js version', () => {
  it("is accepted, at the declared minimum, by every package's engines in package-lock.json", () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version?: string; engines?: unknown }> };
    const refusing = Object.entries(lock.packages)
      .filter(([, p]) => typeof p.engines === 'object' && p.engines !== null && typeof (p.engines as { node?: unknown }).node === 'string')
      .map(([path, p]) => ({ path, version: p.version, node: (p.engines as { node: string }).node }))
      .filter((p) => !semver.satisfies(minimum, p.node));
    expect(refusing, `Node.js ${minimum} (package.json engines ${declared})`).toEqual([]);
  });

  it('is the one the README asks for', () => {
    const [major, minor] = minimum.split('.');
    expect(read('README.md')).toContain(`Needs Node.js ${major}.${minor}+`);
    expect(read('README.md')).not.toMatch(/Node\.js 20\.19\+/);
  });

  it('is read the same by the local check as by semver', () => {
    for (const version of ['20.20.2', '22.12.0', '22.13.0', '23.11.0', '24.0.0', '25.2.1']) {
      expect(satisfiesRange(version, declared), version).toBe(semver.satisfies(version, declared));
    }
  });
});
