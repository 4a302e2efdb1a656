/**
 * A deterministic NEXMark event generator, following Apache Beam's
 * (sdks/java/testing/nexmark/src/main/java/org/apache/beam/sdk/nexmark/sources/generator/:
 * Generator.java, GeneratorConfig.java, model/PersonGenerator.java, AuctionGenerator.java,
 * BidGenerator.java, PriceGenerator.java, StringsGenerator.java, LongGenerator.java; the
 * defaults of NexmarkConfiguration.java), the model Flink's nexmark suite
 * (nexmark-flink .../generator) copies.
 *
 * - Event i has id i; `id % 50` picks its kind: 0 a person, 1-3 an auction, 4-49 a bid.
 * - Each event draws from `java.util.Random(id)` (with a seed s != 0: `Random(id + s * 2^32)`),
 *   in Beam's order of draws, so with seed 0 the events are Beam's for one generator
 *   (numEventGenerators 1, outOfOrderGroupSize 1, firstEventId 0).
 * - Event time: `baseTime + floor(i * interEventDelayUs / 1000)`, interEventDelayUs =
 *   round(10^6 / eventsPerSecond); never decreasing.
 * - Ids: persons from 1000, auctions from 1000, categories 10-14. A seller is, 3 times in
 *   4 (hotSellersRatio 4), the first of the last block of 100 persons, else one of the last
 *   1,000 (numActivePeople) or of the 10 to come (PERSON_ID_LEAD). A bid is, 1 time in 2
 *   (hotAuctionRatio 2), on the first of the last block of 100 auctions, else on one of the
 *   last 100 (numInFlightAuctions) or of the 10 to come (AUCTION_ID_LEAD); its bidder, 3
 *   times in 4 (hotBiddersRatio 4), the second of the last block of 100 persons, else as a seller.
 * - Prices: round(10^(6u) * 100) cents; reserve = initialBid + another price; an auction
 *   lasts 1 + a uniform draw below twice the event time until 1,666 events later.
 * - As in Beam, `new Random(id)` for consecutive ids gives first draws that change slowly
 *   (java.util.Random's top bits follow the seed), so the "hot" choices come in long runs:
 *   82 % of the first 5,000 events' bids are on the hot auction, 37 % of the first
 *   20,000's and 52 % of 100,000's (seed 0).
 * - `extra` pads each event to an average of 200 (person), 500 (auction), 100 (bid) bytes.
 */
import type { Auction, Bid, NexmarkEvent, Person } from '../../jobs/nexmark/model.js';
import { JavaRandom } from './java-random.js';

export interface GeneratorConfig {
  readonly events: number;
  readonly seed: number;
  /** Events per second of event time (Beam's firstEventRate). */
  readonly eventsPerSecond: number;
  /** Event time of the first event. */
  readonly baseTimeMs: number;
  readonly numActivePeople: number;
  readonly numInFlightAuctions: number;
  readonly hotAuctionRatio: number;
  readonly hotSellersRatio: number;
  readonly hotBiddersRatio: number;
  readonly avgPersonByteSize: number;
  readonly avgAuctionByteSize: number;
  readonly avgBidByteSize: number;
}

export const DEFAULT_GENERATOR: GeneratorConfig = {
  events: 100_000,
  seed: 0,
  eventsPerSecond: 10_000,
  baseTimeMs: Date.UTC(2026, 0, 1),
  numActivePeople: 1_000,
  numInFlightAuctions: 100,
  hotAuctionRatio: 2,
  hotSellersRatio: 4,
  hotBiddersRatio: 4,
  avgPersonByteSize: 200,
  avgAuctionByteSize: 500,
  avgBidByteSize: 100,
};

export const FIRST_PERSON_ID = 1000;
export const FIRST_AUCTION_ID = 1000;
const FIRST_CATEGORY_ID = 10;
const NUM_CATEGORIES = 5;
const PERSON_PROPORTION = 1;
const AUCTION_PROPORTION = 3;
export const PROPORTION_DENOMINATOR = 50; // + 46 bids
const PERSON_ID_LEAD = 10;
const AUCTION_ID_LEAD = 10;
const HOT_RATIO = 100; // HOT_SELLER_RATIO, HOT_AUCTION_RATIO, HOT_BIDDER_RATIO

const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
const US_CITIES = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'];
const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'];
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];

/** Generates `config.events` events, in event-id (and event-time) order. */
export function generateNexmark(overrides: Partial<GeneratorConfig> = {}): NexmarkEvent[] {
  const config = { ...DEFAULT_GENERATOR, ...overrides };
  if (!Number.isInteger(config.seed) || config.seed < 0 || config.seed >= 2 ** 16)
    throw new RangeError('the seed is an integer in [0, 65536)');
  const events: NexmarkEvent[] = [];
  for (let id = 0; id < config.events; id += 1) events.push(nextEvent(id, config));
  return events;
}

/** Beam's timestampAndInterEventDelayUsForEvent with one rate. */
export function eventTimeOf(eventNumber: number, config: GeneratorConfig): number {
  const delayUs = Math.round(1_000_000 / config.eventsPerSecond);
  return config.baseTimeMs + Math.floor((eventNumber * delayUs) / 1000);
}

function nextEvent(id: number, config: GeneratorConfig): NexmarkEvent {
  const random = new JavaRandom(id + config.seed * 2 ** 32);
  const t = eventTimeOf(id, config);
  const rem = id % PROPORTION_DENOMINATOR;
  if (rem < PERSON_PROPORTION) return nextPerson(id, random, t, config);
  if (rem < PERSON_PROPORTION + AUCTION_PROPORTION) return nextAuction(id, random, t, config);
  return nextBid(id, random, t, config);
}

export function lastBase0PersonId(eventId: number): number {
  const epoch = Math.floor(eventId / PROPORTION_DENOMINATOR);
  const offset = Math.min(eventId % PROPORTION_DENOMINATOR, PERSON_PROPORTION - 1);
  return epoch * PERSON_PROPORTION + offset;
}

export function lastBase0AuctionId(eventId: number): number {
  let epoch = Math.floor(eventId / PROPORTION_DENOMINATOR);
  let offset = eventId % PROPORTION_DENOMINATOR;
  if (offset < PERSON_PROPORTION) {
    epoch -= 1;
    offset = AUCTION_PROPORTION - 1;
  } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
    offset = AUCTION_PROPORTION - 1;
  } else {
    offset -= PERSON_PROPORTION;
  }
  return epoch * AUCTION_PROPORTION + offset;
}

/** Beam's LongGenerator.nextLong for the bounds NEXMark uses (below 2^31). */
function nextLong(random: JavaRandom, n: number): number {
  if (n >= 0x7fffffff) throw new RangeError(`nextLong bound ${n} is beyond what this generator needs`);
  return random.nextInt(n);
}

function nextBase0PersonId(eventId: number, random: JavaRandom, config: GeneratorConfig): number {
  const numPeople = lastBase0PersonId(eventId) + 1;
  const active = Math.min(numPeople, config.numActivePeople);
  return numPeople - active + nextLong(random, active + PERSON_ID_LEAD);
}

function nextBase0AuctionId(eventId: number, random: JavaRandom, config: GeneratorConfig): number {
  const maxAuction = lastBase0AuctionId(eventId);
  const minAuction = Math.max(maxAuction - config.numInFlightAuctions, 0);
  return minAuction + nextLong(random, maxAuction - minAuction + 1 + AUCTION_ID_LEAD);
}

function nextPrice(random: JavaRandom): number {
  return Math.round(10 ** (random.nextDouble() * 6) * 100);
}

function nextString(random: JavaRandom, maxLength: number): string {
  let len = 3 + random.nextInt(maxLength - 3);
  const codes: number[] = [];
  while (len-- > 0) codes.push(random.nextInt(13) === 0 ? 32 : 97 + random.nextInt(26));
  return String.fromCharCode(...codes).trim();
}

function nextExactString(random: JavaRandom, length: number): string {
  const codes = new Array<number>(length);
  let rnd = 0;
  let n = 0;
  for (let i = 0; i < length; i += 1) {
    if (n === 0) {
      rnd = random.nextInt();
      n = 6;
    }
    codes[i] = 97 + (rnd % 26); // Java's %: negative for a negative rnd, as in Beam
    rnd = Math.trunc(rnd / 26);
    n -= 1;
  }
  return String.fromCharCode(...codes);
}

function nextExtra(random: JavaRandom, currentSize: number, averageSize: number): string {
  if (currentSize > averageSize) return '';
  const desired = averageSize - currentSize;
  const delta = Math.round(desired * 0.2);
  const size = desired - delta + (delta === 0 ? 0 : random.nextInt(2 * delta));
  return nextExactString(random, size);
}

function nextPerson(eventId: number, random: JavaRandom, t: number, config: GeneratorConfig): Person {
  const id = lastBase0PersonId(eventId) + FIRST_PERSON_ID;
  const name = `${FIRST_NAMES[random.nextInt(FIRST_NAMES.length)]} ${LAST_NAMES[random.nextInt(LAST_NAMES.length)]}`;
  const emailAddress = `${nextString(random, 7)}@${nextString(random, 5)}.com`;
  const creditCard = [0, 1, 2, 3].map(() => String(random.nextInt(10_000)).padStart(4, '0')).join(' ');
  const city = US_CITIES[random.nextInt(US_CITIES.length)]!;
  const state = US_STATES[random.nextInt(US_STATES.length)]!;
  const size = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length;
  const extra = nextExtra(random, size, config.avgPersonByteSize);
  return { type: 'person', id, name, emailAddress, creditCard, city, state, dateTime: t, extra };
}

function nextAuction(eventId: number, random: JavaRandom, t: number, config: GeneratorConfig): Auction {
  const id = lastBase0AuctionId(eventId) + FIRST_AUCTION_ID;
  const seller =
    (random.nextInt(config.hotSellersRatio) > 0
      ? Math.floor(lastBase0PersonId(eventId) / HOT_RATIO) * HOT_RATIO
      : nextBase0PersonId(eventId, random, config)) + FIRST_PERSON_ID;
  const category = FIRST_CATEGORY_ID + random.nextInt(NUM_CATEGORIES);
  const initialBid = nextPrice(random);
  // Beam's nextAuctionLengthMs: an average length of the time until numInFlightAuctions more auctions.
  const ahead = Math.floor((config.numInFlightAuctions * PROPORTION_DENOMINATOR) / AUCTION_PROPORTION);
  const horizonMs = eventTimeOf(eventId + ahead, config) - t;
  const expires = t + 1 + nextLong(random, Math.max(horizonMs * 2, 1));
  const itemName = nextString(random, 20);
  const description = nextString(random, 100);
  const reserve = initialBid + nextPrice(random);
  const extra = nextExtra(random, 8 + itemName.length + description.length + 40, config.avgAuctionByteSize);
  return { type: 'auction', id, itemName, description, initialBid, reserve, dateTime: t, expires, seller, category, extra };
}

function nextBid(eventId: number, random: JavaRandom, t: number, config: GeneratorConfig): Bid {
  const auction =
    (random.nextInt(config.hotAuctionRatio) > 0
      ? Math.floor(lastBase0AuctionId(eventId) / HOT_RATIO) * HOT_RATIO
      : nextBase0AuctionId(eventId, random, config)) + FIRST_AUCTION_ID;
  const bidder =
    (random.nextInt(config.hotBiddersRatio) > 0
      ? Math.floor(lastBase0PersonId(eventId) / HOT_RATIO) * HOT_RATIO + 1
      : nextBase0PersonId(eventId, random, config)) + FIRST_PERSON_ID;
  const price = nextPrice(random);
  const extra = nextExtra(random, 32, config.avgBidByteSize);
  return { type: 'bid', auction, bidder, price, dateTime: t, extra };
}
