/**
 * Query 10, log to a file system: every event written to files in S3, partitioned by
 * the day and the minute of its event time (Flink SQL q10: `INSERT INTO fs_sink SELECT
 * auction, bidder, price, dateTime, extra, DATE_FORMAT(dateTime, 'yyyy-MM-dd'),
 * DATE_FORMAT(dateTime, 'HH:mm') FROM bid`, a filesystem table `PARTITIONED BY (dt, hm)`;
 * Beam Query10 writes every event, sharded, to files per 10 s window).
 *
 * Every event as it is (Beam's scope, as q0), as JSON Lines through `s3FileSink`, under
 * `dt=<yyyy-MM-dd>/hm=<HH-mm>` (UTC). The minute is `HH-mm`, not Flink's `HH:mm`: a
 * partition value is letters, digits, '.', '_' and '-' only (docs/sinks/files.md). The
 * partition columns are in the path, not in the rows, as in Hive's layout. Files become
 * visible when the batch's commit log entry lists them, not when a partition-time trigger
 * commits a minute as Flink's `sink.partition-commit.trigger` does.
 */
import { s3FileSink } from '#sluice/job';
import { nexmarkJob, type NexmarkJobOptions } from './settings.js';

/** The Hive-style partition of an event time: its UTC day and minute. */
function partitionOf(dateTime: number): string {
  const iso = new Date(dateTime).toISOString();
  return `dt=${iso.slice(0, 10)}/hm=${iso.slice(11, 13)}-${iso.slice(14, 16)}`;
}

export const q10Job = (options: NexmarkJobOptions = {}) => {
  const name = options.name ?? 'nexmark-q10';
  return nexmarkJob(
    'q10',
    { ...options, name },
    (events) => events.map((e) => e),
    'append',
    s3FileSink({
      prefix: options.sinkTable ?? name,
      format: 'jsonl',
      partitionBy: (row) => partitionOf(row.dateTime as number),
    }),
  );
};
