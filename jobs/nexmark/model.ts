/**
 * The NEXMark event model (Apache Beam's sdks/java/testing/nexmark .../model: Person,
 * Auction, Bid), one JSON object per record with a `type` tag. Times are epoch
 * milliseconds of event time (`dateTime`; an auction's end is `expires`); prices are cents.
 */

export interface Person {
  readonly type: 'person';
  readonly id: number;
  readonly name: string;
  readonly emailAddress: string;
  readonly creditCard: string;
  readonly city: string;
  readonly state: string;
  readonly dateTime: number;
  readonly extra: string;
}

export interface Auction {
  readonly type: 'auction';
  readonly id: number;
  readonly itemName: string;
  readonly description: string;
  readonly initialBid: number;
  readonly reserve: number;
  readonly dateTime: number;
  readonly expires: number;
  readonly seller: number;
  readonly category: number;
  readonly extra: string;
}

export interface Bid {
  readonly type: 'bid';
  readonly auction: number;
  readonly bidder: number;
  readonly price: number;
  readonly dateTime: number;
  readonly extra: string;
}

export type NexmarkEvent = Person | Auction | Bid;

export const isPerson = (e: NexmarkEvent): e is Person => e.type === 'person';
export const isAuction = (e: NexmarkEvent): e is Auction => e.type === 'auction';
export const isBid = (e: NexmarkEvent): e is Bid => e.type === 'bid';

/** Event time of any event. */
export const eventTime = (e: NexmarkEvent): number => e.dateTime;
