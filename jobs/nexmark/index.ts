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
import { q11Job } from './q11.js';
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
  q11: q11Job,
} as const satisfies Record<string, (options?: NexmarkJobOptions) => JobDefinition>;

export type NexmarkQuery = keyof typeof NEXMARK_QUERIES;
export const QUERY_NAMES = Object.keys(NEXMARK_QUERIES) as NexmarkQuery[];
export type { NexmarkJobOptions } from './settings.js';
export { NEXMARK } from './settings.js';
export * from './model.js';
