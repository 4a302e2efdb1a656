/**
 * The event-time watermark, at step 1 (plan) of the protocol (planning.ts). The watermark
 * used by batch N is fixed in its plan from data up to N-1:
 *   watermark(N) = max(watermark(N-1), maxEventTime(up to N-1) - allowedLateness)
 * so it never decreases and a replay of N computes the same output.
 */

/** watermark(N) = max(watermark(N-1), maxEventTime(≤ N-1) - lateness); null while unknown. */
export function nextWatermark(
  previousWatermarkMs: number | null,
  maxEventTimeMs: number | null,
  allowedLatenessMs: number | null,
): number | null {
  if (allowedLatenessMs === null || maxEventTimeMs === null) return previousWatermarkMs;
  const candidate = maxEventTimeMs - allowedLatenessMs;
  return previousWatermarkMs === null ? candidate : Math.max(previousWatermarkMs, candidate);
}
