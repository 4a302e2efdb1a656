/**
 * A count of views per page, available-now, over stream `views` of fresh memory ports:
 * each partition holds the views the test gives it (`{ page }` JSON records).
 */
import { createMemoryPorts, type MemoryPorts } from '../../engine/adapters/memory/index.js';
import { count, defineJob, kafkaSource, memorySink, memorySource } from '../../engine/job/index.js';
import type { Logger } from '../../engine/ports/index.js';

export function pageViewsInMemory(options: {
  readonly pages: Readonly<Record<string, readonly string[]>>;
  readonly keyGroups?: number;
  readonly logger?: Logger;
  /** Read the pages from a Kafka topic's twin (ranges fixed at plan time) instead of a stream. */
  readonly kafka?: boolean;
}) {
  const ports: MemoryPorts = createMemoryPorts(options.logger === undefined ? {} : { logger: options.logger });
  const from = options.kafka === true ? ports.kafka : ports.source;
  from.createStream('views', Object.keys(options.pages));
  const enc = new TextEncoder();
  for (const [partition, pages] of Object.entries(options.pages)) {
    from.append(
      'views',
      partition,
      pages.map((page, i) => ({ key: `u${i}`, data: enc.encode(JSON.stringify({ page })) })),
    );
  }
  const job = defineJob<{ page: string }>({
    name: 'page-views',
    version: 1,
    source: options.kafka === true ? kafkaSource({ topic: 'views' }) : memorySource({ streamName: 'views' }),
    pipeline: (s) => s.keyBy((e) => e.page).aggregate(count()),
    sink: memorySink({ name: 'views' }),
    trigger: { type: 'availableNow' },
    ...(options.keyGroups === undefined ? {} : { keyGroups: options.keyGroups }),
  });
  return { ports, job };
}
