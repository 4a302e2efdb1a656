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

  it('compiles the example of docs/operators/process-functions.md', () => {
    interface Click {
      user: string;
      page: string;
      ts: number;
    }
    const sessions = defineJob<Click>({
      name: 'sessions',
      version: 1,
      source: memorySource({ streamName: 'clicks' }),
      sink: memorySink({ name: 'sessions' }),
      keyGroups: 16,
      pipeline: (clicks) =>
        clicks
          .withWatermark((c) => c.ts, { allowedLatenessMs: 10_000 })
          .keyBy((c) => c.user)
          .process({
            state: {
              session: valueState<{ start: number; end: number; clicks: number }>(),
              pages: listState<string>(),
              perPage: mapState<number>({ ttlMs: 3_600_000 }),
            },
            onValue(click, ctx) {
              const s = ctx.state.session.get();
              if (s !== undefined) ctx.timers.deleteEventTimeTimer(s.end + 30_000);
              const next =
                s === undefined
                  ? { start: click.ts, end: click.ts, clicks: 1 }
                  : { start: Math.min(s.start, click.ts), end: Math.max(s.end, click.ts), clicks: s.clicks + 1 };
              ctx.state.session.set(next);
              ctx.state.pages.add(click.page);
              ctx.state.perPage.set(click.page, (ctx.state.perPage.get(click.page) ?? 0) + 1);
              ctx.timers.registerEventTimeTimer(next.end + 30_000);
            },
            onTimer(_timer, ctx) {
              const s = ctx.state.session.get()!;
              ctx.emit({ user: ctx.key, ...s, pages: ctx.state.pages.get() }, { key: `${ctx.key}@${s.start}` });
              ctx.state.session.clear();
              ctx.state.pages.clear();
            },
          }),
    });
    expect(sessions.keyGroups).toBe(16);
    expect(sessions.pipeline.exchange).toBeDefined();
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
