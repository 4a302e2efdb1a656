/**
 * Query 3, local item suggestion: auctions of category 10 with their seller's name, city
 * and state, for sellers in Oregon, Idaho or California (Beam Query3; Flink SQL q3:
 * `auction A INNER JOIN person P ON A.seller = P.id WHERE A.category = 10 AND P.state IN
 * ('OR', 'ID', 'CA')`).
 *
 * Beam keeps every person for ever (a stateful DoFn) and Flink SQL runs a regular join with
 * unbounded state. Sluice has no unbounded join: this is an interval join whose bounds
 * cover the generator's model. A seller is one of the last `numActivePeople` (1,000)
 * persons or one of the next `PERSON_ID_LEAD` (10): with one person every 50 events, the
 * seller was created at most 1,001 x 50 events before the auction and at most 11 x 50
 * after it. The bounds are that many events at the generator's rate, plus a second, so
 * on NEXMark's input the join equals the unbounded one (the check compares it with an
 * unbounded join); state holds about 50,000 events' worth of persons and auctions.
 */
import { isAuction, isPerson, type Auction, type Person } from './model.js';
import { NEXMARK, nexmarkJob, timed, type NexmarkJobOptions } from './settings.js';

const EVENTS_PER_PERSON = 50;
const ACTIVE_PEOPLE = 1_000;
const PERSON_ID_LEAD = 10;

/** The join's bounds, in ms of event time, for a generator at `eventsPerSecond`. */
export function q3Bounds(eventsPerSecond: number): { lowerMs: number; upperMs: number } {
  const ms = (events: number) => Math.ceil((events * 1000) / eventsPerSecond) + 1_000;
  return { lowerMs: -ms((ACTIVE_PEOPLE + 1) * EVENTS_PER_PERSON), upperMs: ms((PERSON_ID_LEAD + 1) * EVENTS_PER_PERSON) };
}

export const q3Job = (options: NexmarkJobOptions = {}) =>
  nexmarkJob('q3', options, (events) => {
    const all = timed(events);
    const auctions = all.filter(isAuction).filter((a) => a.category === NEXMARK.q3Category);
    const persons = all.filter(isPerson).filter((p) => NEXMARK.q3States.includes(p.state));
    return auctions
      .keyBy((a) => a.seller)
      .intervalJoin(
        persons.keyBy((p) => p.id),
        q3Bounds(options.eventsPerSecond ?? NEXMARK.eventsPerSecond),
        (a: Auction, p: Person) => ({ name: p.name, city: p.city, state: p.state, id: a.id }),
      );
  });
