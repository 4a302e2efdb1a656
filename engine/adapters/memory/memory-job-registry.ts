import { checkRevision, type JobInstance, type JobRegistry } from '../../ports/job-registry.js';

/** The job registry in memory, with the same conditional rule as the DynamoDB adapter. */
export class MemoryJobRegistry implements JobRegistry {
  private readonly records = new Map<string, JobInstance>();

  async get(jobId: string): Promise<JobInstance | null> {
    const record = this.records.get(jobId);
    return record === undefined ? null : structuredClone(record);
  }

  async list(): Promise<JobInstance[]> {
    return [...this.records.keys()].sort().map((id) => structuredClone(this.records.get(id)!));
  }

  async put(next: JobInstance, expectedRevision: number | null): Promise<boolean> {
    checkRevision(next, expectedRevision);
    const stored = this.records.get(next.jobId);
    if ((stored?.revision ?? null) !== expectedRevision) return false;
    this.records.set(next.jobId, structuredClone(next));
    return true;
  }
}
