/**
 * Where the resumed batch's stage 2 spends its time: the recovery benchmark runs the
 * driver on ports wrapped here, which time what the executor asks of them.
 *
 *   state.load    loading the key group's base version: of it, the S3 GETs (manifest,
 *                 snapshot, deltas) and the rest, decoding the JSON and building the map
 *   state.write   writing the next version (a delta or a snapshot, then the manifest)
 *   sink.write    the batch's sink rows (one write per sink and scope)
 *
 * Each figure is the sum of the calls' wall times; state.write and sink.write run at the
 * same time in stage 2, so their sum is not the stage's time.
 */
import { S3BlobStore } from '../../engine/adapters/aws/s3-blob-store.js';
import type { AwsPorts } from '../../engine/adapters/deployed-ports.js';
import type { BlobStore } from '../../engine/ports/blob-store.js';
import type { Sink, SinkSpec } from '../../engine/ports/sink.js';
import type { StateStore } from '../../engine/ports/state-store.js';
import { BlobStateStore } from '../../engine/state/blob-state-store.js';

export interface PhaseTimes {
  /** state.load, all of it. */
  stateLoadMs: number;
  /** Of state.load: the blob GETs. */
  stateGetMs: number;
  stateGetBytes: number;
  stateWriteMs: number;
  sinkWriteMs: number;
  sinkRows: number;
}

export function emptyPhaseTimes(): PhaseTimes {
  return { stateLoadMs: 0, stateGetMs: 0, stateGetBytes: 0, stateWriteMs: 0, sinkWriteMs: 0, sinkRows: 0 };
}

async function timed<T>(run: () => Promise<T>, add: (ms: number, value: T) => void): Promise<T> {
  const started = performance.now();
  const value = await run();
  add(performance.now() - started, value);
  return value;
}

/** The ports with the state store and the sinks timed into `times` (while `recording()` holds). */
export function timedPorts(ports: AwsPorts, bucket: string, times: PhaseTimes, recording: () => boolean): AwsPorts {
  const s3 = new S3BlobStore({ client: ports.clients.s3, bucket });
  const blobs: BlobStore = {
    put: (key, body) => s3.put(key, body),
    get: (key) =>
      timed(
        () => s3.get(key),
        (ms, body) => {
          if (!recording()) return;
          times.stateGetMs += ms;
          times.stateGetBytes += body?.byteLength ?? 0;
        },
      ),
    getRange: (key, start, end) => s3.getRange(key, start, end),
    list: (prefix) => s3.list(prefix),
    delete: (keys) => s3.delete(keys),
  };
  const inner = new BlobStateStore(blobs);
  const state: StateStore = {
    load: (jobId, partition, version, generation) =>
      timed(
        () => inner.load(jobId, partition, version, generation),
        (ms) => {
          if (recording()) times.stateLoadMs += ms;
        },
      ),
    write: (request) =>
      timed(
        () => inner.write(request),
        (ms) => {
          if (recording()) times.stateWriteMs += ms;
        },
      ),
    listVersions: (jobId, partition) => inner.listVersions(jobId, partition),
    listPartitions: (jobId) => inner.listPartitions(jobId),
    deleteVersionsBelow: (jobId, partition, version) => inner.deleteVersionsBelow(jobId, partition, version),
  };
  const sinks = (spec: SinkSpec): Sink => {
    const sink = ports.sinks(spec);
    return Object.assign(Object.create(sink) as Sink, {
      write: (request: Parameters<Sink['write']>[0]) =>
        timed(
          () => sink.write(request),
          (ms) => {
            if (!recording()) return;
            times.sinkWriteMs += ms;
            times.sinkRows += request.rows.length;
          },
        ),
    });
  };
  return { ...ports, state, sinks };
}
