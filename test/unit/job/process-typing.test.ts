import { describe, expect, it } from 'vitest';
import {
  defineJob,
  type ListState,
  listState,
  type MapState,
  mapState,
  memorySink,
  memorySource,
  type Timer,
  type ValueState,
  valueState,
} from '../../../engine/job/index.js';

interface Event {
  readonly user: string;
  readonly page: string;
  readonly ts: number;
}

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(value: T): T {
  return value;
}

// These checks run in `tsc --noEmit`: the file only compiles when inference works.
describe('process() typing', () => {
  it('types ctx.state from the state descriptors, the value from the stream and the timer', () => {
    const job = defineJob<Event>({
      name: 'typed-process',
      version: 1,
      source: memorySource({ streamName: 'events' }),
      sink: memorySink({ name: 'out' }),
      pipeline: (events) =>
        events
          .keyBy((e) => e.user)
          .process({
            state: { count: valueState<number>(), seen: listState<Event>(), perPage: mapState<number>({ ttlMs: 3_600_000 }) },
            onValue(value, ctx) {
              assertType<Equal<typeof value, Event>>(true);
              assertType<Equal<typeof ctx.state.count, ValueState<number>>>(true);
              assertType<Equal<typeof ctx.state.seen, ListState<Event>>>(true);
              assertType<Equal<typeof ctx.state.perPage, MapState<number>>>(true);
              assertType<Equal<ReturnType<typeof ctx.state.count.get>, number | undefined>>(true);
              assertType<Equal<ReturnType<typeof ctx.state.seen.get>, Event[]>>(true);
              assertType<Equal<typeof ctx.key, string | number>>(true);
              assertType<Equal<typeof ctx.eventTimeMs, number | null>>(true);
              // @ts-expect-error a value state of numbers takes numbers
              ctx.state.count.set('one');
              // @ts-expect-error no such state variable
              void ctx.state.missing;
              ctx.state.perPage.set(value.page, (ctx.state.perPage.get(value.page) ?? 0) + 1);
            },
            onTimer(timer, ctx) {
              assertType<Equal<typeof timer, Timer>>(true);
              assertType<Equal<typeof timer.domain, 'eventTime' | 'processingTime'>>(true);
              ctx.state.seen.clear();
            },
          }),
    });
    expect(job.pipeline.description).toContain('process(count, seen, perPage ttl 3600000ms)');
  });

  it('needs no state', () => {
    const job = defineJob<Event>({
      name: 'stateless-process',
      version: 1,
      source: memorySource({ streamName: 'events' }),
      sink: memorySink({ name: 'out' }),
      pipeline: (events) =>
        events
          .keyBy((e) => e.user)
          .process({
            onValue(value, ctx) {
              ctx.emit({ page: value.page });
            },
          }),
    });
    expect(job.pipeline.description).toContain('process');
  });
});
