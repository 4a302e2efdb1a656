import { checkRevision, type JobInstance, type JobRegistry, type SinkOwner } from '../../ports/job-registry.js';

/** The job registry in memory, with the same conditional rule as the DynamoDB adapter. */
export class MemoryJobRegistry implements JobRegistry {
  private readonly records = new Map<string, JobInstance>();
  private readonly owners = new Map<string, SinkOwner>();

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

  async getSinkOwner(target: string): Promise<SinkOwner | null> {
    const owner = this.owners.get(target);
    return owner === undefined ? null : structuredClone(owner);
  }

  async claimSink(next: SinkOwner, expectedOwner: string | null): Promise<boolean> {
    if ((this.owners.get(next.target)?.jobId ?? null) !== expectedOwner) return false;
    this.owners.set(next.target, structuredClone(next));
    return true;
  }
}
