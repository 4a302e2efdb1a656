/**
 * The body of `sluice produce` (cli/commands/produce.ts): read and check the whole input,
 * find the target (the local stand-ins from endpoints.json, or AWS), write the records in
 * batches, and say how many went where. Returns the exit code.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { createAwsClients, destroyAwsClients, putAllRecords } from '../../engine/adapters/aws/index.js';
import { isNotFound } from '../../engine/adapters/aws/aws-errors.js';
import { isMissingCredentials, NO_CREDENTIALS, NO_CREDENTIALS_HINT } from '../aws-credentials.js';
import { KafkaClients } from '../../engine/adapters/kafka/kafka-clients.js';
import { describeError, NotFoundError } from '../../engine/errors.js';
import { DEFAULT_DATA_DIR } from '../../local/defaults.js';
import { endpointsPath, readEndpointsFile, type LocalEndpoints } from '../../local/endpoints-file.js';
import { ensureStream, LOCAL_SOURCE_SHARDS } from '../../local/prepare-job.js';
import { InputError, parseJsonLines, type ProducedRecord } from '../produce-input.js';

export interface ProduceOptions {
  readonly file?: string;
  readonly keyField?: string;
  readonly kafka?: boolean;
  readonly dataDir?: string;
  readonly aws?: boolean;
  readonly region?: string;
  readonly endpoint?: string;
  readonly brokers?: string;
}

const EXIT = { ok: 0, refused: 3, partial: 4 } as const;
/** Records per Kafka produce request. */
const KAFKA_BATCH = 500;

/** A refusal before anything was written (exit 3). */
class Refused extends Error {}

export async function produce(target: string, options: ProduceOptions): Promise<number> {
  // As the local runtime does: the SDK's warning about Node 20 is not this command's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let records: ProducedRecord[];
  let local: LocalEndpoints | null = null;
  try {
    const text = options.file === undefined ? await readStdin() : await readFile(options.file, 'utf8');
    records = parseJsonLines(text, options.keyField ?? null);
    if (!options.aws) local = localRuntime(options.dataDir ?? process.env.SLUICE_DATA_DIR ?? DEFAULT_DATA_DIR);
  } catch (error) {
    if (error instanceof InputError) {
      console.error(`produce: ${options.file ?? 'stdin'} ${error.message}; nothing was written`);
      return EXIT.refused;
    }
    console.error(`produce: ${describeError(error)}`);
    return EXIT.refused;
  }
  if (records.length === 0) {
    console.log(`no records in ${options.file ?? 'stdin'}: nothing written`);
    return EXIT.ok;
  }
  let written = 0;
  try {
    const counts = options.kafka
      ? await toKafka(target, records, local, options, (n) => (written = n))
      : await toKinesis(target, records, local, options, (n) => (written = n));
    console.log(
      `wrote ${records.length.toLocaleString('en-US')} records to ${options.kafka ? 'Kafka topic' : 'Kinesis stream'} ${target}` +
        `${local === null ? '' : ` (the local runtime in ${local.dataDir})`}, keyed by ${options.keyField ?? 'line number'}:`,
    );
    for (const [where, count] of counts) console.log(`  ${where}  ${count.toLocaleString('en-US')}`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof Refused) {
      console.error(`produce: ${error.message}; nothing was written`);
      return EXIT.refused;
    }
    if (isMissingCredentials(error)) {
      console.error(`produce: no AWS credentials: ${error instanceof Error ? error.message : String(error)}; nothing was written`);
      console.error(NO_CREDENTIALS_HINT);
      return NO_CREDENTIALS;
    }
    console.error(`produce: ${describeError(error)}`);
    console.error(
      `  ${written.toLocaleString('en-US')} of ${records.length.toLocaleString('en-US')} records were written before it failed`,
    );
    return written === 0 ? EXIT.refused : EXIT.partial;
  }
}

/** The live local runtime of the data directory, or a refusal that says how to start one. */
function localRuntime(dataDir: string): LocalEndpoints {
  const reading = readEndpointsFile(resolve(dataDir));
  if (reading.status === 'live') return reading.endpoints;
  throw new NotFoundError(
    `no local runtime runs on ${resolve(dataDir)} (${reading.status === 'none' ? `no ${endpointsPath(dataDir)}` : `its endpoints.json is from process ${reading.endpoints.pid}, which is gone`}): ` +
      'start it with npm run api (or pass --data-dir, or --aws for a real account)',
  );
}

async function toKinesis(
  stream: string,
  records: readonly ProducedRecord[],
  local: LocalEndpoints | null,
  options: ProduceOptions,
  progress: (written: number) => void,
): Promise<Map<string, number>> {
  const clients = createAwsClients(
    local === null
      ? {
          ...(options.region === undefined ? {} : { region: options.region }),
          ...(options.endpoint === undefined ? {} : { endpoints: { kinesis: options.endpoint } }),
        }
      : { region: local.region, endpoints: { dynamodb: local.dynamodb, kinesis: local.kinesis, s3: local.s3 } },
  );
  try {
    if (local !== null) {
      if (await ensureStream(clients.kinesis, stream, LOCAL_SOURCE_SHARDS))
        console.log(`created stream ${stream} (${LOCAL_SOURCE_SHARDS} shards)`);
    } else await requireStream(clients.kinesis, stream);
    const encoder = new TextEncoder();
    const results = await putAllRecords(
      clients.kinesis,
      stream,
      records.map((r) => ({ key: r.key, data: encoder.encode(r.data) })),
      { onProgress: (stored) => progress(stored) },
    );
    const counts = new Map<string, number>();
    for (const result of results) counts.set(result.shardId, (counts.get(result.shardId) ?? 0) + 1);
    return new Map([...counts].sort(([a], [b]) => (a < b ? -1 : 1)));
  } finally {
    destroyAwsClients(clients);
  }
}

async function requireStream(client: KinesisClient, stream: string): Promise<void> {
  try {
    await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
  } catch (error) {
    if (isNotFound(error)) throw new Refused(`Kinesis stream ${stream} does not exist in this account and region: create it first`);
    throw error;
  }
}

async function toKafka(
  topic: string,
  records: readonly ProducedRecord[],
  local: LocalEndpoints | null,
  options: ProduceOptions,
  progress: (written: number) => void,
): Promise<Map<string, number>> {
  let brokers: string[];
  if (local === null)
    brokers = (options.brokers ?? '')
      .split(',')
      .map((b) => b.trim())
      .filter((b) => b !== '');
  else if (local.kafka === null)
    throw new Refused(`the local runtime in ${local.dataDir} runs without Kafka: restart it with npm run api -- --kafka`);
  else brokers = [...local.kafka.brokers];
  const kafka = new KafkaClients({ brokers, clientId: 'sluice-produce' });
  try {
    const admin = await kafka.admin();
    // The mock cluster creates a topic on first use, through this metadata request.
    const partitions = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions.length ?? 0;
    if (partitions === 0) throw new Refused(`Kafka topic ${topic} has no partitions (does it exist?)`);
    const before = await admin.fetchTopicOffsets(topic);
    const producer = await kafka.producer();
    let sent = 0;
    for (let from = 0; from < records.length; from += KAFKA_BATCH) {
      const chunk = records.slice(from, from + KAFKA_BATCH);
      await producer.send({ topic, acks: -1, messages: chunk.map((r) => ({ key: r.key, value: r.data })) });
      sent += chunk.length;
      progress(sent);
    }
    const after = await admin.fetchTopicOffsets(topic);
    const start = new Map(before.map((p) => [p.partition, BigInt(p.high)]));
    const counts = new Map<string, number>();
    for (const p of [...after].sort((a, b) => a.partition - b.partition)) {
      const count = Number(BigInt(p.high) - (start.get(p.partition) ?? 0n));
      if (count > 0) counts.set(`partition ${p.partition}`, count);
    }
    return counts;
  } finally {
    await kafka.close();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
