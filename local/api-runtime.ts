/**
 * The jobs API on the local runtime: the local driver (the state machines run in-process,
 * local/driver-runtime.ts), the API's Lambda handlers built on the same ports, with
 * the driver's executions as their Step Functions, and the HTTP server in front of them
 * (local/api-server.ts). A job started over HTTP here runs through the same driver
 * state machines, tasks and supervisor as on AWS.
 *
 * A stop request (POST /jobs/{jobId}/stop) answered 202 also ends the job's idle wait in
 * the local driver (LocalStepFunctions.interruptWaits): the stop takes effect at once,
 * not when the wait (up to the idle backoff's cap) would have ended.
 *
 * When it starts, every job the registry says should be running (the previous process was
 * stopped or killed while it ran) is resumed: its next driver generation starts and
 * recovers from the write-ahead log.
 *
 * `close()` stops accepting requests, then halts the driver: from then on every task and
 * the supervisor return at once without touching the stand-ins, so nothing is half
 * written by shutting down and no restart is recorded for it; the jobs stay RUNNING in
 * the registry and resume at the next start. A batch in flight is left planned and
 * uncommitted, which is what the protocol recovers from.
 */
import { createApiControlHandler } from '../functions/api-control.js';
import { createApiReadHandler } from '../functions/api-read.js';
import type { ApiDependencies } from '../functions/api.js';
import type { ControlApiContext, ReadApiContext } from '../engine/api/context.js';
import type { JobCatalog } from '../engine/driver/catalog.js';
import { resumeJob } from '../engine/driver/supervisor.js';
import type { JobDefinition } from '../engine/job/types.js';
import type { EnginePorts } from '../engine/ports/index.js';
import type { JobTargets } from '../engine/ports/job-targets.js';
import { JobState, type JobRegistry } from '../engine/ports/job-registry.js';
import { startApiServer, type ApiServer, type HttpLambdaHandler } from './api-server.js';
import { LocalDriver, type LocalDriverOptions } from './driver-runtime.js';

export interface LocalApiOptions {
  /** The engine's ports, and what the API checks a job's targets with (both the AWS and the memory ports have it). */
  readonly ports: EnginePorts & { readonly targets: JobTargets };
  readonly registry: JobRegistry;
  readonly catalog: JobCatalog;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default DEFAULT_API_PORT (local/api-server.ts); 0 picks a free port. */
  readonly port?: number;
  /** Options of the local driver. */
  readonly driver?: Omit<LocalDriverOptions, 'ports' | 'registry' | 'catalog' | 'wrapLambda'>;
  /** Before a job starts, with its definition (the local runtime creates its sink table). */
  readonly prepareJob?: (job: JobDefinition) => Promise<void>;
  /** How long close() waits for the driver's work in flight to end (default 5 s). */
  readonly closeGraceMs?: number;
}

export interface LocalApi {
  readonly url: string;
  readonly driver: LocalDriver;
  readonly server: ApiServer;
  /** The jobs resumed at start, with their driver executions. */
  readonly resumed: readonly { readonly jobId: string; readonly executionName: string }[];
  close(): Promise<void>;
}

class Halted extends Error {
  constructor() {
    super('the local API runtime is shutting down');
    this.name = 'LocalRuntimeHalted';
  }
}

export async function startLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  let halted = false;
  const driver = new LocalDriver({
    ...options.driver,
    ports: options.ports,
    registry: options.registry,
    catalog: options.catalog,
    wrapLambda: (fn, lambda) => async (event) => {
      if (halted) {
        // The supervisor has nothing to do; a task ends its execution without writing.
        if (fn === 'supervisor') return [];
        throw new Halted();
      }
      return lambda(event);
    },
  });
  const context: ControlApiContext & ReadApiContext = {
    registry: options.registry,
    wal: options.ports.wal,
    state: options.ports.state,
    deadLetters: options.ports.deadLetters,
    sinks: options.ports.sinks,
    executions: driver.stepFunctions,
    catalog: options.catalog,
    clock: options.ports.clock,
    logger: options.ports.logger,
    targets: options.ports.targets,
    ...(options.prepareJob ? { prepareJob: options.prepareJob } : {}),
  };
  const deps: ApiDependencies<ControlApiContext & ReadApiContext> = { api: () => context };
  const resumed: { jobId: string; executionName: string }[] = [];
  let server: ApiServer | undefined;
  try {
    for (const job of await options.registry.list()) {
      if (job.state !== JobState.RUNNING && job.state !== JobState.STOPPING) continue;
      const run = await resumeJob(job.jobId, driver.supervisor);
      if (run !== null) resumed.push({ jobId: job.jobId, executionName: run.executionName });
    }
    server = await startApiServer({
      handlers: { apiRead: createApiReadHandler(deps), apiControl: wakeOnStop(createApiControlHandler(deps), driver) },
      ...(options.host === undefined ? {} : { host: options.host }),
      ...(options.port === undefined ? {} : { port: options.port }),
      logger: options.ports.logger,
    });
  } catch (error) {
    halted = true;
    await Promise.race([driver.close(), sleep(options.closeGraceMs ?? 5_000)]);
    throw error;
  }
  const api = server;
  let closing: Promise<void> | undefined;
  return {
    url: api.url,
    driver,
    server: api,
    resumed,
    close() {
      closing ??= (async () => {
        await api.close();
        halted = true;
        // Children waiting for their next batch hold timers; their next task ends them.
        await Promise.race([driver.close(), sleep(options.closeGraceMs ?? 5_000)]);
      })();
      return closing;
    },
  };
}

/** The control handler, which ends the job's idle wait after it accepted a stop. */
function wakeOnStop(handler: HttpLambdaHandler, driver: LocalDriver): HttpLambdaHandler {
  return async (event, context) => {
    const result = await handler(event, context);
    const jobId = event.pathParameters?.jobId;
    if (event.routeKey === 'POST /jobs/{jobId}/stop' && result.statusCode === 202 && jobId !== undefined) {
      driver.stepFunctions.interruptWaits(jobId);
    }
    return result;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
