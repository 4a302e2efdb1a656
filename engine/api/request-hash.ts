/**
 * The fingerprint of a start or resume request, recorded with its idempotency token in the
 * instance's `start` record (engine/ports/job-registry.ts StartRecord.requestHash). A later
 * request with the same token is a retry only when its fingerprint is the same; with another
 * one it is a different request reusing the token: a 409 naming the token (as a payload hash
 * does in Powertools' idempotency). Records written before the fingerprint was kept have none:
 * the token alone decides for them, as it did.
 *
 * The fingerprint covers what the request asks for (its parsed fields, absent ones as null),
 * not how it was spelled: key order and whitespace do not change it. The kind of request is
 * part of it, so a start's token reused for a resume is not mistaken for a retry.
 */
import { createHash } from 'node:crypto';
import type { JsonValue } from '../json.js';
import { canonicalJson } from '../job/state-shape.js';
import type { ResumeJobInput, StartJobInput } from './requests.js';

/** 32 hex digits of the SHA-256 of the request's canonical JSON. */
function hashOf(content: JsonValue): string {
  return createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 32);
}

/** POST /jobs: jobName, parameters, trigger, startingPosition, maxRecordsPerPartition, force. */
export function startRequestHash(input: StartJobInput): string {
  return hashOf({
    request: 'start',
    jobName: input.jobName,
    parameters: input.parameters as JsonValue,
    trigger: (input.trigger ?? null) as JsonValue,
    startingPosition: (input.startingPosition ?? null) as JsonValue,
    maxRecordsPerPartition: input.maxRecordsPerPartition,
    force: input.force === true,
  });
}

/** POST /jobs/{jobId}/resume: trigger, maxRecordsPerPartition, force. */
export function resumeRequestHash(input: ResumeJobInput): string {
  return hashOf({
    request: 'resume',
    trigger: (input.trigger ?? null) as JsonValue,
    maxRecordsPerPartition: input.maxRecordsPerPartition,
    force: input.force === true,
  });
}
