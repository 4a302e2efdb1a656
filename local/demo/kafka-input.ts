/**
 * The demo's input on Kafka: the generated clickstream produced to a 4-partition topic of
 * librdkafka's mock cluster, event i to partition `partitionIndex`, keyed by its user (the
 * stream is partitioned by user; the job counts per page, through key groups).
 *
 * The mock keeps its records in memory only, so every start of the demo produces the
 * input again, in the same order, into a fresh mock: each partition gets the same records
 * at the same offsets (0, 1, 2...) as in the previous run, which is what lets a demo
 * stopped half way resume from its write-ahead log (whose ranges are offsets) on the
 * same data directory. The partitions' ends are checked against the expected counts: a
 * record written twice would shift every offset after it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { produceRecords } from '../../engine/adapters/kafka/kafka-producer.js';
import { ConfigurationError, ConflictError, InvariantError } from '../../engine/errors.js';
import type { LocalRuntime } from '../runtime.js';
import { generateClickstream, type ClickstreamSettings } from '../../jobs/clickstream/generate.js';

const INPUT_MARKER = 'clickstream-input.kafka.json';
/** The Kinesis demo's marker (local/demo/run-demo.ts). */
const KINESIS_INPUT_MARKER = 'clickstream-input.json';

/** One data directory holds the job of one source: its WAL names that source's partitions. */
export async function assertDemoSource(dataDir: string, source: 'kinesis' | 'kafka'): Promise<void> {
  const other = source === 'kafka' ? KINESIS_INPUT_MARKER : INPUT_MARKER;
  const found = await readFile(join(dataDir, other), 'utf8').then(
    () => true,
    () => false,
  );
  if (found) {
    throw new ConflictError(
      `${dataDir} holds the demo on ${source === 'kafka' ? 'Kinesis' : 'Kafka'}: start over with --reset, or use another --data-dir`,
    );
  }
}

export async function writeKafkaInput(
  runtime: LocalRuntime,
  topic: string,
  settings: ClickstreamSettings,
  out: (line: string) => void,
): Promise<void> {
  const clients = runtime.ports.kafka;
  if (clients === null) throw new ConfigurationError('the local runtime was started without Kafka (startLocalRuntime({ kafka: true }))');
  const marker = join(runtime.dataDir, INPUT_MARKER);
  const wanted = JSON.stringify({ topic, settings });
  const existing = await readFile(marker, 'utf8').catch(() => null);
  if (existing !== null && existing !== wanted) {
    throw new ConflictError(`${runtime.dataDir} holds the job of a different demo input; start over with --reset`);
  }

  const events = generateClickstream(settings);
  const partitions = (await (await clients.admin()).fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions.length ?? 0;
  if (partitions < settings.partitions) {
    throw new ConflictError(`topic ${topic} has ${partitions} partitions; the demo writes to ${settings.partitions}`);
  }
  out(
    `${existing === null ? 'writing' : 'writing again (the mock cluster keeps nothing between runs)'} ` +
      `${events.length.toLocaleString('en-US')} events to topic ${topic} (${partitions} partitions)`,
  );
  let shown = 0;
  await produceRecords(
    await clients.kafka(),
    topic,
    events.map((e) => ({ partition: e.partitionIndex, key: e.user, value: e.payload })),
    {
      onProgress: (stored, total) => {
        if (stored - shown >= 20_000 || stored === total) {
          shown = stored;
          out(`  ${stored.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}`);
        }
      },
    },
  );
  const ends = await (await clients.admin()).fetchTopicOffsets(topic);
  for (let p = 0; p < settings.partitions; p += 1) {
    const expected = events.filter((e) => e.partitionIndex === p).length;
    const end = ends.find((o) => o.partition === p);
    if (end === undefined || end.low !== '0' || end.high !== String(expected)) {
      throw new InvariantError(`partition ${p} of ${topic} holds offsets [${end?.low}, ${end?.high}) after writing ${expected} records`);
    }
  }
  await writeFile(marker, wanted);
}
