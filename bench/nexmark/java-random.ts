/**
 * java.util.Random, bit for bit: the 48-bit linear congruential generator Beam's NEXMark
 * generator seeds with each event's id (`new Random(eventId)`), so a seeded event is the
 * same on every run and in the same order of draws as Beam's. The 48-bit state is kept as
 * two 24-bit halves so every product stays an exact double.
 */
const TWO_24 = 0x1000000;
const MULT_HI = 0x5de; // 0x5DEECE66D = MULT_HI * 2^24 + MULT_LO
const MULT_LO = 0xece66d;
const ADDEND = 0xb;

export class JavaRandom {
  private hi: number;
  private lo: number;

  /** `new Random(seed)` for a seed in [0, 2^53): the seed's low 48 bits, scrambled as Java does. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`a JavaRandom seed is a safe non-negative integer, got ${seed}`);
    const scrambled = (BigInt(seed) ^ 0x5deece66dn) & 0xffffffffffffn;
    this.hi = Number(scrambled >> 24n);
    this.lo = Number(scrambled & 0xffffffn);
  }

  /** Java's `next(bits)`: the top `bits` of the advanced state, as a signed 32-bit int. */
  next(bits: number): number {
    // (hi * 2^24 + lo) * (MULT_HI * 2^24 + MULT_LO) + ADDEND, mod 2^48 (hi * MULT_HI * 2^48 drops out).
    const p0 = this.lo * MULT_LO + ADDEND;
    const hi = (this.hi * MULT_LO + this.lo * MULT_HI + Math.floor(p0 / TWO_24)) % TWO_24;
    this.hi = hi;
    this.lo = p0 % TWO_24;
    return Math.floor((hi * TWO_24 + this.lo) / 2 ** (48 - bits)) | 0;
  }

  nextInt(bound?: number): number {
    if (bound === undefined) return this.next(32);
    if (!Number.isInteger(bound) || bound <= 0 || bound > 0x7fffffff)
      throw new RangeError(`nextInt(bound) needs 0 < bound < 2^31, got ${bound}`);
    if ((bound & -bound) === bound) return Math.floor(this.next(31) / (0x80000000 / bound)); // (bound * next(31)) >> 31
    for (;;) {
      const bits = this.next(31);
      const value = bits % bound;
      if (bits - value + (bound - 1) <= 0x7fffffff) return value;
    }
  }

  nextDouble(): number {
    return (this.next(26) * 2 ** 27 + this.next(27)) * 2 ** -53;
  }
}
