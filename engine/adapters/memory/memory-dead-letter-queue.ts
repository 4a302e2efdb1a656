import {
  deadLetterId,
  deadLetterPartitionPrefix,
  type DeadLetter,
  type DeadLetterPage,
  type DeadLetterPageOptions,
  type DeadLetterQueue,
} from '../../ports/dead-letter-queue.js';

export class MemoryDeadLetterQueue implements DeadLetterQueue {
  private readonly letters = new Map<string, DeadLetter>();

  async put(letters: readonly DeadLetter[]): Promise<void> {
    for (const letter of letters) {
      this.letters.set(`${letter.jobId}\u0000${deadLetterId(letter)}`, structuredClone(letter));
    }
  }

  async list(jobId: string): Promise<DeadLetter[]> {
    return this.ofJob(jobId).map(([, letter]) => structuredClone(letter));
  }

  async page(jobId: string, options: DeadLetterPageOptions): Promise<DeadLetterPage> {
    const prefix = options.partition === undefined ? '' : deadLetterPartitionPrefix(options.partition);
    const after = options.after;
    const matching = this.ofJob(jobId).filter(([id]) => id.startsWith(prefix) && (after === undefined || id > after));
    const page = matching.slice(0, options.limit);
    return {
      letters: page.map(([, letter]) => structuredClone(letter)),
      next: matching.length > page.length ? page[page.length - 1]![0] : null,
    };
  }

  /** The job's letters with their ids, in id order (as DynamoDB sorts the sort key). */
  private ofJob(jobId: string): [string, DeadLetter][] {
    const start = `${jobId}\u0000`;
    return [...this.letters.entries()]
      .filter(([key]) => key.startsWith(start))
      .map(([key, letter]): [string, DeadLetter] => [key.slice(start.length), letter])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}
