/** Batch sizes the contract accepts: 1..1000, as the emulator enforces. */
export function checkLimit(limit: number): number {
  const whole = Math.trunc(limit);
  if (whole < 1 || whole > 1000) {
    throw new Error(`limit must be between 1 and 1000, got ${whole}`);
  }
  return whole;
}
