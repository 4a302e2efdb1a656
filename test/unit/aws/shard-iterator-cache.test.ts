import { describe, expect, it } from 'vitest';
import { ITERATOR_MAX_AGE_MS, ShardIteratorCache } from '../../../engine/adapters/aws/shard-iterator-cache.js';

describe('ShardIteratorCache', () => {
  it('gives an iterator back once, for the same stream, shard and offset only', () => {
    const cache = new ShardIteratorCache({ now: () => 1_000 });
    cache.put('clicks', 'shard-0', '100', 'it-a', 1_000);
    expect(cache.take('clicks', 'shard-1', '100')).toBeUndefined();
    expect(cache.take('other', 'shard-0', '100')).toBeUndefined();
    expect(cache.take('clicks', 'shard-0', '99')).toBeUndefined();
    expect(cache.take('clicks', 'shard-0', '100')).toBe('it-a');
    expect(cache.take('clicks', 'shard-0', '100')).toBeUndefined();
  });

  it('drops an iterator as old as the maximum age, before Kinesis expires it', () => {
    let now = 0;
    const cache = new ShardIteratorCache({ now: () => now });
    cache.put('clicks', 'shard-0', '100', 'young', 0);
    cache.put('clicks', 'shard-0', '200', 'old', 0);
    now = ITERATOR_MAX_AGE_MS - 1;
    expect(cache.take('clicks', 'shard-0', '100')).toBe('young');
    now = ITERATOR_MAX_AGE_MS;
    expect(cache.take('clicks', 'shard-0', '200')).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(ITERATOR_MAX_AGE_MS).toBeLessThan(5 * 60_000);
  });

  it('keeps the newest entries when full', () => {
    const cache = new ShardIteratorCache({ now: () => 0 });
    for (let i = 0; i < 1_100; i += 1) cache.put('clicks', 'shard-0', String(i), `it-${i}`, 0);
    expect(cache.size).toBe(1_024);
    expect(cache.take('clicks', 'shard-0', '0')).toBeUndefined();
    expect(cache.take('clicks', 'shard-0', '1099')).toBe('it-1099');
  });
});
