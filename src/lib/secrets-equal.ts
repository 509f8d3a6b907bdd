import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time equality for strings of any length: both sides are hashed to 32 bytes first, so
 * neither the comparison nor a length check reveals how much of the secret was right.
 */
export function secretsEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
