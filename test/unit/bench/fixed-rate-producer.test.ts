/**
 * The latency bench's producer (bench/latency/producer.ts) against a stream that cannot
 * take its rate: what its schedule has due runs ahead of what it sent, so the bench's lag
 * counts the producer's own backlog (a rate the stream cannot take is not sustainable),
 * and each record still carries its scheduled time.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { FixedRateProducer } from '../../../bench/latency/producer.js';

/** A stream whose every PutRecords takes `delayMs` and stores every record. */
function slowStream(delayMs: number): { client: KinesisClient; calls: () => number } {
  let calls = 0;
  let sequence = 0;
  const client = {
    send: async (command: { input: { Records: unknown[] } }) => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return { Records: command.input.Records.map(() => ({ SequenceNumber: String((sequence += 1)), ShardId: 'shardId-0' })) };
    },
  } as unknown as KinesisClient;
  return { client, calls: () => calls };
}

describe('FixedRateProducer', () => {
  it('has nothing due before it runs, and everything due once its schedule has passed', () => {
    const producer = new FixedRateProducer({ client: slowStream(0).client, streamName: 's', rate: 100, keys: 4 });
    expect(producer.dueAt(Date.now())).toBe(0);
  });

  it('falls behind a stream that takes each put slowly: due runs ahead of sent, and the whole schedule is sent in the end', async () => {
    const { client, calls } = slowStream(400);
    const producer = new FixedRateProducer({ client, streamName: 's', rate: 1_000, keys: 4, tickMs: 5 });
    const running = producer.run(1);
    const behind: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      behind.push(producer.dueAt(Date.now()) - producer.produced);
    }
    await running;
    // Each put waits 400 ms while the schedule has another 400 records due.
    expect(Math.max(...behind)).toBeGreaterThan(200);
    expect(producer.produced).toBe(1_000);
    expect(producer.dueAt(Date.now())).toBe(1_000);
    expect(calls()).toBeGreaterThanOrEqual(2);
    // Records keep their scheduled times: key-0000's are 4 ms apart from the start.
    const times = producer.producedAt.get('key-0000')!;
    expect(times).toHaveLength(250);
    expect(times[1]! - times[0]!).toBe(4);
  });
});
