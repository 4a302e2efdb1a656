import { deadLetterId, type DeadLetter, type DeadLetterQueue } from '../../ports/dead-letter-queue.js';

export class MemoryDeadLetterQueue implements DeadLetterQueue {
  private readonly letters = new Map<string, DeadLetter>();

  async put(letters: readonly DeadLetter[]): Promise<void> {
    for (const letter of letters) {
      this.letters.set(`${letter.jobId}\u0000${deadLetterId(letter)}`, structuredClone(letter));
    }
  }

  async list(jobId: string): Promise<DeadLetter[]> {
    return [...this.letters.entries()]
      .filter(([key]) => key.startsWith(`${jobId}\u0000`))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, letter]) => structuredClone(letter));
  }
}
