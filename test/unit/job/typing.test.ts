import { describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../../engine/ports/source-reader.js';
import {
  count,
  defineJob,
  dynamoDbSink,
  kinesisSource,
  max,
  memorySink,
  memorySource,
  reduce,
  sum,
  tumbling,
  type Stream,
} from '../../../engine/job/index.js';

interface Click {
  readonly type: 'view' | 'click';
  readonly page: string;
  readonly ts: number;
  readonly size: number;
}

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(value: T): T {
  return value;
}

// These checks run in `tsc --noEmit`: the file only compiles when inference works.
describe('job API typing', () => {
  it('types the example job of the brief with json decode (input is any)', () => {
    const job = defineJob({
      name: 'page-views',
      version: 1,
      source: kinesisSource({ streamName: 'clicks', startingPosition: 'EARLIEST' }),
      decode: 'json',
      pipeline: (events) => {
        assertType<Equal<typeof events, Stream<any>>>(true);
        return events
          .filter((e) => e.type === 'view')
          .map((e) => ({ page: e.page as string, ts: e.ts as number, size: 1 }))
          .withWatermark((e) => e.ts, { allowedLatenessMs: 10_000 })
          .keyBy((e) => e.page)
          .window(tumbling({ sizeMs: 60_000 }))
          .aggregate({ views: count(), bytes: sum((e) => e.size) });
      },
      sink: dynamoDbSink({ tableName: 'page-views' }),
    });
    assertType<Equal<typeof job.name, string>>(true);
    expect(job.pipeline.description).toContain('window');
  });

  it('infers T through map, filter, flatMap and type-guard filters', () => {
    defineJob({
      name: 'typed',
      version: 1,
      source: memorySource({ streamName: 's' }),
      decode: (record) => JSON.parse(new TextDecoder().decode(record.data)) as Click,
      pipeline: (clicks) => {
        assertType<Equal<typeof clicks, Stream<Click>>>(true);
        const pages = clicks.map((c) => c.page);
        assertType<Equal<typeof pages, Stream<string>>>(true);
        const chars = pages.flatMap((p) => p.split(''));
        assertType<Equal<typeof chars, Stream<string>>>(true);
        const numbers = clicks.map((c) => (c.size > 0 ? c.size : null)).filter((n): n is number => n !== null);
        assertType<Equal<typeof numbers, Stream<number>>>(true);
        return clicks
          .keyBy((c) => c.page)
          .aggregate({
            biggest: max((c) => c.size),
            pages: reduce({ initial: [] as string[], add: (acc, c) => [...acc, c.page] }),
            total: reduce({ initial: 0, add: (acc, c) => acc + c.size }),
          });
      },
      sink: memorySink({ name: 'out' }),
    });
  });

  it("types 'utf8' input as string", () => {
    defineJob({
      name: 'lines',
      version: 1,
      source: memorySource({ streamName: 's' }),
      decode: 'utf8',
      pipeline: (lines) => {
        assertType<Equal<typeof lines, Stream<string>>>(true);
        return lines.map((line) => line.toUpperCase());
      },
      sink: memorySink({ name: 'out' }),
    });
  });

  it('accepts an annotated pipeline parameter for json input', () => {
    defineJob({
      name: 'annotated',
      version: 1,
      source: memorySource({ streamName: 's' }),
      pipeline: (clicks: Stream<Click>) => clicks.keyBy((c) => c.page).aggregate(count()),
      sink: memorySink({ name: 'out' }),
    });
  });

  it('rejects pipelines that end with keyBy or window, and wrongly typed aggregates', () => {
    const spec = {
      name: 'bad',
      version: 1,
      source: memorySource({ streamName: 's' }),
      sink: memorySink({ name: 'out' }),
      decode: (r: SourceRecord) => r.key,
    } as const;
    if (Math.random() > 2) {
      // @ts-expect-error keyBy alone is not a pipeline end
      defineJob({ ...spec, pipeline: (keys) => keys.keyBy((k) => k) });
      // @ts-expect-error window alone is not a pipeline end
      defineJob({ ...spec, pipeline: (keys) => keys.keyBy((k) => k).window(tumbling({ sizeMs: 1 })) });
      // @ts-expect-error sum's function must take the stream's type
      defineJob({ ...spec, pipeline: (keys) => keys.keyBy((k) => k).aggregate(sum((c: Click) => c.size)) });
      // @ts-expect-error keyBy must return a string or a number
      defineJob({ ...spec, pipeline: (keys) => keys.keyBy((k) => ({ k })).aggregate(count()) });
    }
  });
});
