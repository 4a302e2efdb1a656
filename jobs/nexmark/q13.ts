/**
 * Query 13, bounded side input join: each bid enriched with the row of a small static
 * table whose key is the bid's auction id modulo 10,000 (Flink SQL q13: `SELECT
 * B.auction, B.bidder, B.price, B.dateTime, S.value FROM bid B JOIN side_input FOR
 * SYSTEM_TIME AS OF B.p_time AS S ON mod(B.auction, 10000) = S.key`, over a file of
 * 10,000 rows `i,i`; Beam's BoundedSideInputJoin looks up `bidder % sideInputRowCount`
 * in a map side input).
 *
 * The side input is a DynamoDB table (`key` a number, `value` a string) read by
 * `lookup()`, an inner join as Flink's. Each batch reads the keys it needs once and
 * records what it read, so a retry or a replay joins as the first run did, where Flink's
 * lookup reads the table again (docs/operators/lookup-join.md).
 */
import { dynamoDbTable } from '#sluice/job';
import { isBid } from './model.js';
import { nexmarkJob, type NexmarkJobOptions } from './settings.js';

/** Flink's side input: 10,000 rows, keys 0 to 9,999 (its side_input_gen.sh). */
export const Q13_SIDE_INPUT = { tableName: 'nexmark-side-input', key: 'key', rows: 10_000 } as const;

const sideInput = dynamoDbTable({ tableName: Q13_SIDE_INPUT.tableName, key: Q13_SIDE_INPUT.key });

export const q13Job = (options: NexmarkJobOptions = {}) =>
  nexmarkJob('q13', options, (events) =>
    events.filter(isBid).lookup(sideInput, {
      key: (b) => b.auction % Q13_SIDE_INPUT.rows,
      join: 'inner',
      select: (b, s) => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, value: s.value }),
    }),
  );
