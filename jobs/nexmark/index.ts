/**
 * The NEXMark queries Sluice runs (docs/nexmark.md), each a job on the `nexmark` stream.
 * They are not in the deployed catalog (jobs/catalog.ts): the benchmark and the tests
 * build them directly.
 */
import type { JobDefinition } from '#sluice/job';
import { q0Job } from './q0.js';
import { q1Job } from './q1.js';
import { q2Job } from './q2.js';
import { q3Job } from './q3.js';
import { q4Job } from './q4.js';
import { q5Job } from './q5.js';
import { q6Job } from './q6.js';
import { q7Job } from './q7.js';
import { q8Job } from './q8.js';
import { q9Job } from './q9.js';
import { q10Job } from './q10.js';
import { q11Job } from './q11.js';
import { q12Job } from './q12.js';
import { q13Job } from './q13.js';
import { q14Job } from './q14.js';
import type { NexmarkJobOptions } from './settings.js';

export const NEXMARK_QUERIES = {
  q0: q0Job,
  q1: q1Job,
  q2: q2Job,
  q3: q3Job,
  q4: q4Job,
  q5: q5Job,
  q6: q6Job,
  q7: q7Job,
  q8: q8Job,
  q9: q9Job,
  q10: q10Job,
  q11: q11Job,
  q12: q12Job,
  q13: q13Job,
  q14: q14Job,
} as const satisfies Record<string, (options?: NexmarkJobOptions) => JobDefinition>;

export type NexmarkQuery = keyof typeof NEXMARK_QUERIES;
export const QUERY_NAMES = Object.keys(NEXMARK_QUERIES) as NexmarkQuery[];
/** The queries checked in test/unit/nexmark/more-queries.test.ts: a file sink, processing time, a lookup table, a UDF. */
export const MORE_QUERY_NAMES = ['q10', 'q12', 'q13', 'q14'] as const satisfies readonly NexmarkQuery[];
export type { NexmarkJobOptions } from './settings.js';
export { NEXMARK } from './settings.js';
export * from './model.js';
