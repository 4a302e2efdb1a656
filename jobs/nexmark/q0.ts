/**
 * Query 0, pass-through: every event as it came (Beam Query0; Flink SQL `SELECT * FROM
 * datagen`). Measures the cost of reading, decoding and writing alone.
 */
import { nexmarkJob, type NexmarkJobOptions } from './settings.js';

export const q0Job = (options: NexmarkJobOptions = {}) => nexmarkJob('q0', options, (events) => events.map((e) => e));
