/**
 * A randomness source that returns pre-set byte strings in order, for golden vectors. It fails
 * the test if the code asks for a length other than the next scripted one or asks too often,
 * so the order in which salts and IVs are drawn is pinned too.
 */
import type { RandomBytes } from '../../../src/crypto/index.js';

export function scriptedRandom(...chunks: Array<Uint8Array<ArrayBuffer>>): RandomBytes & { left(): number } {
  const queue = [...chunks];
  const random = (length: number): Uint8Array<ArrayBuffer> => {
    const next = queue.shift();
    if (next === undefined) throw new Error('scripted random source exhausted');
    if (next.length !== length) throw new Error(`asked for ${length} bytes, scripted ${next.length}`);
    return new Uint8Array(next);
  };
  return Object.assign(random, { left: () => queue.length });
}
