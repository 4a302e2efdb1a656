/**
 * What each jobs API operation needs, as types: every operation takes exactly the ports it
 * uses, each one required, so a handler that forgets one does not compile (rather than
 * failing the first request that needs it). The two Lambda functions serve their routes
 * with the union of their operations' needs: ReadApiContext (functions/api-read.ts) and
 * ControlApiContext (functions/api-control.ts), which is what each is granted
 * (infra/constructs/sluice-api.ts).
 */
import type { JobCatalog } from '../driver/catalog.js';
import type { JobDefinition } from '../job/types.js';
import type { Clock } from '../ports/clock.js';
import type { DeadLetterQueue } from '../ports/dead-letter-queue.js';
import type { DriverExecutions } from '../ports/driver-executions.js';
import type { Logger } from '../ports/index.js';
import type { JobTargets } from '../ports/job-targets.js';
import type { JobRegistry } from '../ports/job-registry.js';
import type { SinkFactory } from '../ports/sink.js';
import type { StateStore } from '../ports/state-store.js';
import type { WriteAheadLog } from '../ports/write-ahead-log.js';

/** What every operation answers: an HTTP status and a JSON body. */
export interface ApiResult<T> {
  readonly status: number;
  readonly body: T;
}

/** Every dependency an API operation may have; the context types below pick from it. */
export interface ApiPorts {
  readonly registry: JobRegistry;
  readonly wal: WriteAheadLog;
  readonly executions: DriverExecutions;
  readonly catalog: JobCatalog;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The state store: a start from a checkpoint copies state versions. */
  readonly state: StateStore;
  readonly deadLetters: DeadLetterQueue;
  /** The sinks a job's results are read from (GET /jobs/{jobId}/results). */
  readonly sinks: SinkFactory;
  /** Called with the definition a job instance will run, before it starts (the local runtime creates its sink table). */
  readonly prepareJob?: (job: JobDefinition) => Promise<void>;
  /** The job's streams, topics and tables: a start refuses the engine's own tables and missing targets (engine/api/job-targets.ts). */
  readonly targets: JobTargets;
}

/** POST /jobs: a start may copy a checkpoint (state), resolves the job (catalog), records it and launches its driver. */
export type StartJobContext = Pick<
  ApiPorts,
  'registry' | 'wal' | 'state' | 'executions' | 'catalog' | 'clock' | 'logger' | 'prepareJob' | 'targets'
>;
/** POST /jobs/{jobId}/resume: a start from the instance's own checkpoint (no state is copied). */
export type ResumeJobContext = Pick<
  ApiPorts,
  'registry' | 'wal' | 'executions' | 'catalog' | 'clock' | 'logger' | 'prepareJob' | 'targets'
>;
/** POST /jobs/{jobId}/stop */
export type StopJobContext = Pick<ApiPorts, 'registry' | 'clock' | 'logger'>;
/** GET /jobs */
export type ListJobsContext = Pick<ApiPorts, 'registry'>;
/** GET /jobs/{jobId} */
export type JobStatusContext = Pick<ApiPorts, 'registry' | 'wal' | 'executions'>;
/** GET /jobs/{jobId}/batches */
export type ListBatchesContext = Pick<ApiPorts, 'registry' | 'wal'>;
/** GET /jobs/{jobId}/dead-letters */
export type ListDeadLettersContext = Pick<ApiPorts, 'registry' | 'wal' | 'deadLetters'>;

/** GET /jobs/{jobId}/results: the instance's job (registry, catalog) and its primary sink. */
export type ListResultsContext = Pick<ApiPorts, 'registry' | 'catalog' | 'sinks'>;

/** What the read function serves list, status, batches, dead letters and results with (and logs its errors to). */
export type ReadApiContext = ListJobsContext &
  JobStatusContext &
  ListBatchesContext &
  ListDeadLettersContext &
  ListResultsContext &
  Pick<ApiPorts, 'logger'>;
/** What the control function serves start, stop and resume with. */
export type ControlApiContext = StartJobContext & ResumeJobContext & StopJobContext;
