/** The catalog of docs/own-job.md: the plain entry, and the one with a parameter schema. */
import { catalogEntry, type JobCatalog } from '#sluice/catalog';
import { count, defineJob, dynamoDbSink, kinesisSource } from '#sluice/job';
import { z } from 'zod';
import { orderTotals } from './job.js';

/** A job that takes its sink table as a parameter (orders per customer, kept short). */
const orderTotalsInto = (sinkTable: string) =>
  defineJob({
    name: 'order-totals-into',
    version: 1,
    source: kinesisSource({ streamName: 'orders' }),
    pipeline: (orders) => orders.keyBy((o: { customerId: string }) => o.customerId).aggregate(count()),
    sink: dynamoDbSink({ tableName: sinkTable }),
  });

export const catalog: JobCatalog = {
  'order-totals': orderTotals,
  'order-totals-into': catalogEntry({
    description: 'order totals into a table of choice',
    parameters: z.strictObject({ sinkTable: z.string().min(1) }),
    create: (p) => orderTotalsInto(p.sinkTable),
  }),
};
