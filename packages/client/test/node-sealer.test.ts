/**
 * The node:crypto sealer must be core's envelope and blind index byte for byte: each side opens
 * what the other sealed, blind indexes are equal, and every failure raises core's error. The
 * store's fast path (record contexts encoded from a per-collection template, sealed and opened
 * by both sealers' `sealEncoded`/`openEncoded`) must be core's format too.
 */
import {
  blindIndex,
  deriveDataKeys,
  encodeContext,
  generateDataKeyBytes,
  importDataKey,
  Keyring,
  open,
  seal,
} from '@bulwark/core/crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CollectionSpec, webCryptoSealer } from '../src/index.js';
import { nodeSealer } from '../src/node/index.js';
import { encodeRecordSync, recordContext, recordContextBytes } from '../src/store/lib/codec.js';

async function keys(id = 'dek-1') {
  return deriveDataKeys(await importDataKey(generateDataKeyBytes()), id);
}

describe('node:crypto sealer is format-compatible with core', () => {
  it('opens what core sealed and core opens what it sealed, for any plaintext and context', async () => {
    const { sealingKey } = await keys();
    const keyring = new Keyring(sealingKey);
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }),
        fc.string({ maxLength: 40 }).filter((s) => s.isWellFormed()),
        fc.integer({ min: 0, max: 1000 }),
        async (bytes, recordId, schemaVersion) => {
          const plaintext = new Uint8Array(bytes);
          const context = { collection: 'c', recordId, field: '$sensitive', schemaVersion };
          expect(await open(keyring, await nodeSealer.seal(sealingKey, plaintext, context), context)).toEqual(
            plaintext,
          );
          expect(await nodeSealer.open(keyring, await seal(sealingKey, plaintext, context), context)).toEqual(
            plaintext,
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('encodes any context exactly as core does (sealed by one side, opened by the other)', async () => {
    const { sealingKey } = await keys();
    const keyring = new Keyring(sealingKey);
    const key = fc.oneof(
      fc.constantFrom('collection', 'field', 'recordId', 'schemaVersion', 'index', 'a', 'ä'),
      fc.string({ minLength: 1, maxLength: 8 }),
    );
    const value = fc.oneof(
      fc.string({ maxLength: 80 }).filter((v) => v.isWellFormed()),
      fc.integer(),
      fc.constant(-0),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          key.filter((k) => k.isWellFormed()),
          value,
          { minKeys: 1, maxKeys: 8 },
        ),
        async (context) => {
          const plaintext = new Uint8Array([1, 2, 3]);
          expect(await open(keyring, await nodeSealer.seal(sealingKey, plaintext, context), context)).toEqual(
            plaintext,
          );
          expect(await nodeSealer.open(keyring, await seal(sealingKey, plaintext, context), context)).toEqual(
            plaintext,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses the contexts core refuses, with core errors', async () => {
    const { sealingKey } = await keys();
    for (const context of [
      { recordId: 'a\uD800' },
      { recordId: 'x'.repeat(4097) },
      { schemaVersion: 1.5 },
      { ['k'.repeat(129)]: 'v' },
    ]) {
      await expect(nodeSealer.seal(sealingKey, new Uint8Array(1), context)).rejects.toMatchObject({
        code: 'crypto_parameters',
      });
      await expect(seal(sealingKey, new Uint8Array(1), context)).rejects.toMatchObject({
        code: 'crypto_parameters',
      });
    }
  });

  it('counts seals against the key usage limit like core', async () => {
    const { sealingKey } = await keys();
    const before = sealingKey.sealCount;
    await nodeSealer.seal(sealingKey, new Uint8Array(1), { a: 1 });
    expect(sealingKey.sealCount).toBe(before + 1);
  });

  it('refuses any changed byte, another context, another key and another format with core errors', async () => {
    const { sealingKey } = await keys();
    const other = await keys('dek-1');
    const context = { collection: 'c', recordId: 'r', field: 'f', schemaVersion: 1 };
    const envelope = await nodeSealer.seal(sealingKey, new TextEncoder().encode('secret'), context);
    const keyring = new Keyring(sealingKey);
    for (let i = 0; i < envelope.length; i++) {
      const bad = new Uint8Array(envelope);
      bad[i] = (bad[i] as number) ^ 0x01;
      const error = await nodeSealer.open(keyring, bad, context).catch((e: unknown) => e);
      expect(['decryption_failed', 'crypto_parameters']).toContain((error as { code: string }).code);
    }
    await expect(nodeSealer.open(keyring, envelope, { ...context, recordId: 's' })).rejects.toMatchObject({
      code: 'decryption_failed',
    });
    await expect(nodeSealer.open(new Keyring(other.sealingKey), envelope, context)).rejects.toMatchObject({
      code: 'decryption_failed',
    });
    await expect(nodeSealer.open(keyring, envelope.subarray(0, 20), context)).rejects.toMatchObject({
      code: 'decryption_failed',
    });
  });

  it('computes the same blind index as core for any value', async () => {
    const { blindIndexKey } = await keys();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 30 }).filter((s) => s.isWellFormed()),
          fc.integer(),
        ),
        fc.boolean(),
        async (value, caseInsensitive) => {
          const scope = { collection: 'sites', field: 'email' };
          expect(await nodeSealer.blindIndex(blindIndexKey, value, scope, { caseInsensitive })).toEqual(
            await blindIndex(blindIndexKey, value, scope, { caseInsensitive }),
          );
        },
      ),
      { numRuns: 200 },
    );
    await expect(nodeSealer.blindIndex(blindIndexKey, 1.5, { a: 'b' })).rejects.toMatchObject({
      code: 'crypto_parameters',
    });
  });
});

describe('the store fast path (pre-encoded record contexts) is core format, on both sealers', () => {
  const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,63}$/);
  const id = fc.string({ minLength: 1, maxLength: 128 }).filter((s) => s.isWellFormed());

  it('encodes a record context exactly as core encodes the context object, or declines', () => {
    fc.assert(
      fc.property(
        name,
        fc.integer({ min: 0, max: 2 ** 53 - 1 }),
        fc.boolean(),
        id,
        (collection, version, whole, recordId) => {
          const spec: CollectionSpec = {
            name: collection,
            schemaVersion: version,
            fields: {},
            ...(whole ? { wholeRecord: true } : {}),
          };
          const fast = recordContextBytes(spec, recordId);
          const ascii = [...recordId].every((c) => c.charCodeAt(0) <= 0x7f);
          if (ascii) expect(fast).toEqual(encodeContext(recordContext(spec, recordId)));
          else expect(fast).toBeUndefined();
        },
      ),
      { numRuns: 500 },
    );
  });

  it.each([
    ['node:crypto', nodeSealer],
    ['WebCrypto', webCryptoSealer],
  ] as const)(
    '%s: core opens what sealEncoded sealed, openEncoded opens what core sealed, and refuses tampering',
    async (_name, sealer) => {
      const { sealingKey } = await keys();
      const keyring = new Keyring(sealingKey);
      const spec: CollectionSpec = { name: 'sites', schemaVersion: 3, fields: {} };
      const sealEncoded = sealer.sealEncoded as NonNullable<typeof sealer.sealEncoded>;
      const openEncoded = sealer.openEncoded as NonNullable<typeof sealer.openEncoded>;
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ maxLength: 300 }),
          fc.stringMatching(/^[A-Za-z0-9._~:-]{1,128}$/),
          async (bytes, recordId) => {
            const plaintext = new Uint8Array(bytes);
            const context = recordContext(spec, recordId);
            const encoded = recordContextBytes(spec, recordId) as Uint8Array;
            const envelope = await sealEncoded(sealingKey, plaintext, encoded);
            expect(await open(keyring, envelope, context)).toEqual(plaintext);
            expect(await openEncoded(keyring, await seal(sealingKey, plaintext, context), encoded)).toEqual(
              plaintext,
            );
            const flipped = new Uint8Array(envelope);
            flipped[flipped.length - 1] = (flipped.at(-1) as number) ^ 1;
            await expect(openEncoded(keyring, flipped, encoded)).rejects.toMatchObject({
              code: 'decryption_failed',
            });
            const other = recordContextBytes(spec, `${recordId.slice(0, 127)}x`) as Uint8Array;
            await expect(openEncoded(keyring, envelope, other)).rejects.toMatchObject({
              code: 'decryption_failed',
            });
          },
        ),
        { numRuns: 100 },
      );
      // Envelopes it does not recognise, and unknown keys, are left to core (undefined here).
      const envelope = await sealEncoded(
        sealingKey,
        new Uint8Array([1, 2]),
        recordContextBytes(spec, 'a') as Uint8Array,
      );
      const otherFormat = new Uint8Array(envelope);
      otherFormat[0] = 0x12;
      expect(
        await openEncoded(keyring, otherFormat, recordContextBytes(spec, 'a') as Uint8Array),
      ).toBeUndefined();
      const stranger = new Keyring((await keys('dek-2')).sealingKey);
      expect(
        await openEncoded(stranger, envelope, recordContextBytes(spec, 'a') as Uint8Array),
      ).toBeUndefined();
    },
  );

  it('node:crypto bulk path: envelopes carved from shared blocks and contexts in a reused buffer are core format, each its own bytes and IV', async () => {
    const { sealingKey } = await keys();
    const keyring = new Keyring(sealingKey);
    const codecKeys = { keyring, blindIndexKeys: new Map<string, CryptoKey>(), primaryKeyId: sealingKey.id };
    const field: CollectionSpec = {
      name: 'sites',
      schemaVersion: 1,
      fields: { name: { class: 'plain' }, notes: { class: 'sensitive' } },
    };
    const whole: CollectionSpec = { ...field, name: 'visits', wholeRecord: true };
    await fc.assert(
      fc.asyncProperty(
        // Enough records to cross several 64 KiB blocks, some too big for a block (own buffer),
        // the two collections interleaved (the cached template must follow the spec).
        fc.array(
          fc.record({
            whole: fc.boolean(),
            notes: fc.oneof(fc.string({ maxLength: 200 }), fc.string({ minLength: 1100, maxLength: 1500 })),
          }),
          { minLength: 300, maxLength: 900 },
        ),
        async (rows) => {
          const sealed = rows.map(({ whole: isWhole, notes }, i) => {
            const spec = isWhole ? whole : field;
            const stored = encodeRecordSync(
              nodeSealer,
              spec,
              `r-${i}`,
              { name: `n${i}`, notes },
              codecKeys,
              1,
            );
            if (stored?.sealed == null) throw new Error('the synchronous path declined');
            return { spec, id: `r-${i}`, notes, envelope: stored.sealed };
          });
          const ivs = new Set<string>();
          for (const { spec, id, notes, envelope } of sealed) {
            const headLength = 3 + sealingKey.id.length;
            ivs.add(Buffer.from(envelope.subarray(headLength, headLength + 12)).toString('hex'));
            const expected = spec.wholeRecord === true ? { name: `n${id.slice(2)}`, notes } : { notes };
            // Opened by core, long after the later envelopes were written next to it.
            const opened = await open(keyring, new Uint8Array(envelope), recordContext(spec, id));
            expect(JSON.parse(new TextDecoder().decode(opened))).toEqual(expected);
            expect(envelope.byteLength).toBe(
              headLength + 12 + new TextEncoder().encode(JSON.stringify(expected)).length + 16,
            );
          }
          expect(ivs.size).toBe(sealed.length);
        },
      ),
      { numRuns: 10 },
    );
    // A spec object changed after its records were written gets the new context at once.
    const changing: CollectionSpec = { ...field };
    encodeRecordSync(nodeSealer, changing, 'a', { notes: 'x' }, codecKeys, 1);
    (changing as { schemaVersion: number }).schemaVersion = 2;
    const after = encodeRecordSync(nodeSealer, changing, 'a', { notes: 'x' }, codecKeys, 1);
    expect(
      await open(keyring, new Uint8Array(after?.sealed as Uint8Array), recordContext(changing, 'a')),
    ).toEqual(new TextEncoder().encode('{"notes":"x"}'));
  });
});
