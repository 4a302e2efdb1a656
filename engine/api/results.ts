/**
 * GET /jobs/{jobId}/results: pages through the rows of a job instance's primary sink (the
 * job definition's `sink`, resolved from the instance's job name and parameters), as the
 * sink stores them: each row's key, its value, and the (generation, batch) that wrote it.
 *
 *   DynamoDB  the sink table, in its scan order (a consistent Scan; the table holds the
 *             job's rows only: one owner per sink table)
 *   files     the committed rows through the commit log, file by file (a key appears once
 *             per batch that wrote it; the newest (generation, batch) is the current one)
 *   memory    the rows by key (the local tests' sink)
 *   streams   Kinesis and Kafka sinks are 400s that say how to read the stream; a user sink
 *             is the user's own destination, a 400 too.
 *
 * The page token is opaque: base64url JSON of the job id and the sink's own position.
 */
import { resolveJob } from '../driver/catalog.js';
import { JobSpecError, NotFoundError as EngineNotFoundError } from '../errors.js';
import type { JsonObject } from '../json.js';
import type { SinkSpec, StoredRow } from '../ports/sink.js';
import type { ListResultsContext } from './context.js';
import { BadRequestError, ConflictError, NotFoundError } from './errors.js';
import { decodePageToken, encodePageToken } from './page-tokens.js';
import type { ApiResult } from './jobs.js';

export interface ResultRowView {
  readonly key: string;
  readonly value: JsonObject;
  readonly batchId: number;
  readonly generation: number;
}

export interface ResultsPage {
  readonly jobId: string;
  /** The sink read: its type and name (table, prefix, stream). */
  readonly sink: { readonly type: SinkSpec['type']; readonly name: string };
  readonly rows: ResultRowView[];
  readonly nextToken: string | null;
}

export async function listJobResults(
  jobId: string,
  page: { readonly limit: number; readonly nextToken: string | null },
  ctx: ListResultsContext,
): Promise<ApiResult<ResultsPage>> {
  const after = page.nextToken === null ? null : decodeResultsToken(page.nextToken, jobId);
  const instance = await ctx.registry.get(jobId);
  if (instance === null) throw new NotFoundError(`no job instance ${jobId} (GET /jobs lists them)`);
  let spec: SinkSpec;
  try {
    spec = resolveJob(ctx.catalog, instance.jobName, instance.parameters).sink;
  } catch (error) {
    if (error instanceof JobSpecError || error instanceof EngineNotFoundError) {
      throw new ConflictError(`job ${jobId} cannot be resolved with this deployment's catalog: ${error.message}`);
    }
    throw error;
  }
  const unreadable = unreadableReason(spec);
  if (unreadable !== null) throw BadRequestError.of([{ field: 'jobId', message: `names job ${jobId}, which ${unreadable}` }]);
  const sink = ctx.sinks(spec);
  if (sink.readPage === undefined) {
    throw BadRequestError.of([{ field: 'jobId', message: `names job ${jobId}, whose ${spec.type} sink cannot be read back here` }]);
  }
  const read = await sink.readPage({ limit: page.limit, after });
  return {
    status: 200,
    body: {
      jobId,
      sink: { type: spec.type, name: sinkName(spec) },
      rows: read.rows.map(rowView),
      nextToken: read.next === null ? null : encodePageToken(jobId, { s: read.next }),
    },
  };
}

/** Why the API cannot page the sink (null: it can), saying how to read it instead. */
function unreadableReason(spec: SinkSpec): string | null {
  switch (spec.type) {
    case 'kinesis':
      return (
        `writes its rows as records of Kinesis stream ${spec.streamName} (at least once): read the stream ` +
        '(aws kinesis get-shard-iterator / get-records, or any consumer) and keep the record of the highest (sluiceGeneration, sluiceBatchId) per sluiceId key'
      );
    case 'kafka':
      return (
        `writes its rows as messages of Kafka topic ${spec.topic} (at least once): consume the topic ` +
        '(kcat -C -t <topic>, or any consumer) and deduplicate by the sluice-id header'
      );
    case 'user':
      return `writes its rows with its own function (userSink ${spec.name}): read them where that function writes them`;
    default:
      return null;
  }
}

function sinkName(spec: SinkSpec): string {
  switch (spec.type) {
    case 'dynamodb':
      return spec.tableName;
    case 's3files':
      return spec.bucket === undefined ? spec.prefix : `s3://${spec.bucket}/${spec.prefix}`;
    case 'kinesis':
      return spec.streamName;
    case 'kafka':
      return spec.topic;
    default:
      return spec.name;
  }
}

function rowView(row: StoredRow): ResultRowView {
  return { key: row.key, value: row.value, batchId: row.batchId, generation: row.generation };
}

/** The sink's position in a token this route returned for the job; a 400 otherwise. */
function decodeResultsToken(token: string, jobId: string): string {
  return decodePageToken(token, jobId, 'results', (t) => (typeof t.s === 'string' && t.s !== '' ? t.s : null));
}
