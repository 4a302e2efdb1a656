/**
 * The local runtime records its stand-ins in <data-dir>/endpoints.json while it runs and
 * removes the file when it stops; an operator command opened on that data directory in
 * the meantime works on the running stand-ins instead of starting its own.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../engine/adapters/memory/index.js';
import { openOperatorEnvironment } from '../../../cli/operator-environment.js';
import { readEndpointsFile } from '../../../local/endpoints-file.js';
import { LOCAL_RESOURCES, startLocalRuntime } from '../../../local/runtime.js';

describe('the local runtime and endpoints.json', () => {
  it('writes it when the stand-ins answer, adds the API, serves operator commands from it, and removes it on stop', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-runtime-'));
    const runtime = await startLocalRuntime({ dataDir, logger: silentLogger });
    try {
      const reading = readEndpointsFile(dataDir);
      expect(reading).toMatchObject({
        status: 'live',
        endpoints: {
          version: 1,
          pid: process.pid,
          dataDir,
          ...runtime.standIns.endpoints,
          kafka: null,
          api: null,
          resources: LOCAL_RESOURCES,
        },
      });
      await runtime.publishApi('http://127.0.0.1:4999');
      expect(readEndpointsFile(dataDir)).toMatchObject({ status: 'live', endpoints: { api: 'http://127.0.0.1:4999' } });

      // Starting stand-ins of its own on this directory would be refused (the pid file's owner is alive).
      const env = await openOperatorEnvironment({ kind: 'local', dataDir }, { logger: silentLogger });
      try {
        expect(env.description).toContain(`the stand-ins of process ${process.pid}`);
        // The running runtime's WAL table (the registry lives there), through its DynamoDB Local.
        expect(await env.registry.list()).toEqual([]);
        expect(await runtime.ports.wal.getLatestBatch('nobody')).toBeNull();
      } finally {
        await env.close();
      }
    } finally {
      await runtime.stop();
    }
    expect(readEndpointsFile(dataDir)).toEqual({ status: 'none' });
  });
});
