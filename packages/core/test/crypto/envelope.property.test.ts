/**
 * Properties of the envelope (fast-check): round trip for any plaintext and context; any single
 * bit flip anywhere is rejected; a ciphertext moved to another record, field or any other context
 * is rejected; the IV generator does not repeat over 100,000 draws.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CryptoParameterError,
  DecryptionError,
  encodeContext,
  Keyring,
  open,
  type SealingKey,
  seal,
} from '../../src/crypto/index.js';
import { drawIv } from '../../src/crypto/lib/iv.js';
import { arbitraryContext, fieldContext } from './helpers/arbitraries.js';
import { toHex } from './helpers/hex.js';
import { randomSealingKey } from './helpers/keys.js';

let key: SealingKey;
let keyring: Keyring;

beforeAll(async () => {
  key = await randomSealingKey('prop-key');
  keyring = new Keyring(key);
});

const plaintexts = fc.uint8Array({ maxLength: 512 }).map((b) => new Uint8Array(b));

function flipBit(bytes: Uint8Array<ArrayBuffer>, bit: number): Uint8Array<ArrayBuffer> {
  const out = bytes.slice();
  out[bit >> 3] = (out[bit >> 3] as number) ^ (1 << (bit & 7));
  return out;
}

/** Header bytes 0 (format) and 1 (algorithm) are refused as parameters; all else as decryption. */
async function expectRejected(
  envelope: Uint8Array<ArrayBuffer>,
  bit: number,
  context: Parameters<typeof open>[2],
) {
  const err = await open(keyring, envelope, context).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (bit < 16) expect(err).toBeInstanceOf(CryptoParameterError);
  else expect(err).toBeInstanceOf(DecryptionError);
}

describe('envelope properties', () => {
  it('round-trips any plaintext under any context', async () => {
    await fc.assert(
      fc.asyncProperty(plaintexts, arbitraryContext, async (plaintext, context) => {
        const envelope = await seal(key, plaintext, context);
        expect(envelope.length).toBe(3 + 'prop-key'.length + 12 + plaintext.length + 16);
        expect(toHex(await open(keyring, envelope, context))).toBe(toHex(plaintext));
      }),
      { numRuns: 200 },
    );
  });

  it('rejects a single bit flip at any position (random envelopes)', async () => {
    await fc.assert(
      fc.asyncProperty(plaintexts, arbitraryContext, fc.nat(), async (plaintext, context, position) => {
        const envelope = await seal(key, plaintext, context);
        const bit = position % (envelope.length * 8);
        await expectRejected(flipBit(envelope, bit), bit, context);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects every one of the single bit flips of an envelope (exhaustive)', async () => {
    const context = { collection: 'patients', recordId: 'p-42', field: 'diagnosis', schemaVersion: 3 };
    const envelope = await seal(key, new TextEncoder().encode('J45.909 asthma'), context);
    let flips = 0;
    for (let bit = 0; bit < envelope.length * 8; bit++) {
      await expectRejected(flipBit(envelope, bit), bit, context);
      flips++;
    }
    expect(flips).toBe((3 + 8 + 12 + 14 + 16) * 8);
  });

  it('rejects a ciphertext moved to another record, field, collection or schema version', async () => {
    await fc.assert(
      fc.asyncProperty(fieldContext, fieldContext, plaintexts, async (from, to, plaintext) => {
        const envelope = await seal(key, plaintext, from);
        const same =
          from.collection === to.collection &&
          from.recordId === to.recordId &&
          from.field === to.field &&
          from.schemaVersion === to.schemaVersion;
        if (same) expect(toHex(await open(keyring, envelope, to))).toBe(toHex(plaintext));
        else await expect(open(keyring, envelope, to)).rejects.toBeInstanceOf(DecryptionError);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects a ciphertext moved to any other context', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryContext, arbitraryContext, async (from, to) => {
        fc.pre(toHex(encodeContext(from)) !== toHex(encodeContext(to)));
        const envelope = await seal(key, new Uint8Array([1, 2, 3]), from);
        await expect(open(keyring, envelope, to)).rejects.toBeInstanceOf(DecryptionError);
      }),
      { numRuns: 200 },
    );
  });

  it('draws 100,000 distinct IVs from the IV generator seal uses', () => {
    const seen = new Set<string>();
    let wrongLength = 0;
    for (let i = 0; i < 100_000; i++) {
      const iv = drawIv();
      if (iv.length !== 12) wrongLength++;
      seen.add(toHex(iv));
    }
    expect(wrongLength).toBe(0);
    expect(seen.size).toBe(100_000);
  });

  it('puts distinct IVs into 2,000 envelopes of the same plaintext and context', async () => {
    const context = { collection: 'c', recordId: 'r', field: 'f', schemaVersion: 1 };
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const envelope = await seal(key, new Uint8Array(4), context);
      seen.add(toHex(envelope.subarray(11, 23)));
    }
    expect(seen.size).toBe(2_000);
  });
});
