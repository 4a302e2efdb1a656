/** The values of `sluice jobs` arguments and flags (cli/commands/jobs/flag-values.ts): job ids, --trigger, --from. */
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { jobId, startingPosition, trigger } from '../../../cli/commands/jobs/flag-values.js';

describe('a job id', () => {
  it('is taken as the API takes it', () => {
    expect(jobId('page-views')).toBe('page-views');
    expect(jobId('A_1')).toBe('A_1');
    expect(jobId('x'.repeat(60))).toBe('x'.repeat(60));
  });

  it.each(['', '.', '..', 'a/b', '/', '../jobs', 'a\\b', '%2e', 'a b', '-a', '_a', 'a?b', 'a#b', 'x'.repeat(61), 'é'])(
    'refuses %j before any request',
    (value) => {
      expect(() => jobId(value)).toThrow(InvalidArgumentError);
      expect(() => jobId(value)).toThrow(/^A job id must be /);
    },
  );
});

describe('--trigger', () => {
  it('takes available-now and interval:<ms>[:<max idle ms>]', () => {
    expect(trigger('available-now')).toEqual({ type: 'availableNow' });
    expect(trigger('interval:500')).toEqual({ type: 'interval', intervalMs: 500 });
    expect(trigger('interval:500:60000')).toEqual({ type: 'interval', intervalMs: 500, maxIdleIntervalMs: 60_000 });
  });

  it.each(['interval:1e3', 'interval:0x10', 'interval:1.0', 'interval: 5', 'interval:0', 'interval:5:0', 'interval:99999999999999999999'])(
    'refuses %j',
    (value) => {
      expect(() => trigger(value)).toThrow(InvalidArgumentError);
    },
  );
});

describe('--from', () => {
  it('takes a position, epoch ms, an ISO time or a checkpoint', () => {
    expect(startingPosition('EARLIEST')).toBe('earliest');
    expect(startingPosition('1700000000000')).toEqual({ type: 'timestamp', timestamp: 1_700_000_000_000 });
    expect(startingPosition('2026-01-31T12:00:00Z')).toEqual({ type: 'timestamp', timestamp: '2026-01-31T12:00:00Z' });
    expect(startingPosition('checkpoint:pv:7')).toEqual({ type: 'checkpoint', jobId: 'pv', batchId: 7 });
  });

  it.each([
    '1e3',
    '0x10',
    '1.0',
    ' 5',
    '99999999999999999999',
    'checkpoint:pv:0',
    'checkpoint:..',
    'checkpoint:a/b:1',
    'checkpoint:pv:1e3',
  ])('refuses %j', (value) => {
    expect(() => startingPosition(value)).toThrow(InvalidArgumentError);
  });
});
