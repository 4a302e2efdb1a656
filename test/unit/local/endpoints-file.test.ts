/** `<data-dir>/endpoints.json` (local/endpoints-file.ts): written whole, read as live or stale by its owner's pid, versioned. */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../engine/errors.js';
import {
  type LocalEndpoints,
  describeEndpoints,
  endpointsPath,
  readEndpointsFile,
  removeEndpointsFile,
  writeEndpointsFile,
} from '../../../local/endpoints-file.js';

async function sample(overrides: Partial<LocalEndpoints> = {}): Promise<LocalEndpoints> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-endpoints-'));
  return {
    version: 1,
    pid: process.pid,
    startedAt: '2026-12-02T08:00:00.000Z',
    dataDir,
    region: 'us-east-1',
    dynamodb: 'http://127.0.0.1:1001',
    kinesis: 'http://127.0.0.1:1002',
    s3: 'http://127.0.0.1:1003',
    kafka: null,
    api: 'http://127.0.0.1:4810',
    resources: { walTable: 'sluice-wal', deadLetterTable: 'sluice-dead-letters', bucket: 'sluice-checkpoints' },
    ...overrides,
  };
}

describe('endpoints.json', () => {
  it('is none before it is written, live while its process runs, and gone after its owner removes it', async () => {
    const endpoints = await sample();
    expect(readEndpointsFile(endpoints.dataDir)).toEqual({ status: 'none' });
    await writeEndpointsFile(endpoints);
    expect(JSON.parse(await readFile(endpointsPath(endpoints.dataDir), 'utf8'))).toEqual(endpoints);
    expect(readEndpointsFile(endpoints.dataDir)).toEqual({ status: 'live', endpoints });
    await removeEndpointsFile(endpoints.dataDir);
    expect(readEndpointsFile(endpoints.dataDir)).toEqual({ status: 'none' });
  });

  it("is stale when its process is gone, and another process's file is not removed", async () => {
    // A pid above Linux's pid_max: no process has it.
    const gone = await sample({ pid: 4_194_305 });
    await writeEndpointsFile(gone);
    expect(readEndpointsFile(gone.dataDir)).toEqual({ status: 'stale', endpoints: gone });
    await removeEndpointsFile(gone.dataDir);
    expect(readEndpointsFile(gone.dataDir).status).toBe('stale');
  });

  it('refuses a version it does not know, and a file that is not JSON, naming the file', async () => {
    const endpoints = await sample();
    await writeFile(endpointsPath(endpoints.dataDir), JSON.stringify({ ...endpoints, version: 2 }));
    expect(() => readEndpointsFile(endpoints.dataDir)).toThrow(ConfigurationError);
    expect(() => readEndpointsFile(endpoints.dataDir)).toThrow(/endpoints\.json has version 2; this sluice reads version 1/);
    await writeFile(endpointsPath(endpoints.dataDir), '{"version": 1, "pid"');
    expect(() => readEndpointsFile(endpoints.dataDir)).toThrow(/endpoints\.json is not JSON/);
  });

  it('prints every stand-in, Kafka when it runs, and where the file is', async () => {
    const endpoints = await sample({ kafka: { brokers: ['127.0.0.1:1004'] } });
    const lines = describeEndpoints(endpoints).join('\n');
    for (const url of ['http://127.0.0.1:1001', 'http://127.0.0.1:1002', 'http://127.0.0.1:1003', 'kafka 127.0.0.1:1004']) {
      expect(lines).toContain(url);
    }
    expect(lines).toContain(endpointsPath(endpoints.dataDir));
  });
});
