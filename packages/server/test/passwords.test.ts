/** Password rules (ASVS/NIST) and the Argon2id hasher: parameters, no truncation, concurrency cap. */
import { parseOptions } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/errors.js';
import { ARGON2_MINIMUM, resolveAuthConfig } from '../src/config.js';
import { commonPasswordCount, isCommonPassword } from '../src/identity/passwords/common.js';
import { PasswordHasher } from '../src/identity/passwords/hasher.js';
import { checkPasswordRules } from '../src/identity/passwords/rules.js';
import { SaturatedError, Semaphore } from '../src/lib/semaphore.js';

const rules = { minLength: 8, maxLength: 1024 };
const codes = (password: string, username = 'alice') =>
  checkPasswordRules(password, username, rules).map((i) => i.code);

describe('password rules', () => {
  it('refuses passwords shorter than 8 characters, counting code points, not bytes', () => {
    expect(codes('short1!')).toEqual(['password_too_short']);
    // 7 CJK characters are 21 bytes but 7 characters: too short; 8 are enough.
    expect(codes('城墙守护数据安')).toEqual(['password_too_short']);
    expect(codes('城墙守护数据安全')).toEqual([]);
    // Characters outside the BMP count once each, not as two UTF-16 units.
    expect(codes('🔒🔑🔐🧱🏰🗝📱🛰')).toEqual([]);
    expect(codes('🔒🔑🔐🧱')).toEqual(['password_too_short']);
  });

  it('accepts 64+ characters and any Unicode, with no composition rules', () => {
    expect(codes('a'.repeat(40) + 'zq'.repeat(20))).toEqual([]);
    expect(codes('ünïcødé pässwörd wïth späcés')).toEqual([]);
    expect(codes('alllowercaseletters')).toEqual([]);
  });

  it('refuses more than the configured maximum', () => {
    expect(codes('x'.repeat(1025))).toContain('password_too_long');
  });

  it('refuses common passwords whatever their case, and the username', () => {
    expect(commonPasswordCount()).toBeGreaterThan(10_000);
    expect(isCommonPassword('PaSsWoRd')).toBe(true);
    expect(codes('password1')).toContain('password_common');
    expect(codes('QWERTYUIOP')).toContain('password_common');
    expect(codes('AliceInWonderland', 'aliceinwonderland')).toContain('password_is_username');
  });

  it('refuses Argon2 settings below the OWASP minimum', () => {
    expect(() => resolveAuthConfig({ passwords: { argon2: { memoryCost: 4096 } } })).toThrow(ConfigError);
    expect(() => resolveAuthConfig({ passwords: { argon2: { timeCost: 1 } } })).toThrow(ConfigError);
    expect(() => resolveAuthConfig({ passwords: { minLength: 6 } })).toThrow(ConfigError);
    // Every wrong setting is a ConfigError with the documented code, a URL that does not parse too.
    expect(() => resolveAuthConfig({ passwords: { maxLength: 10 } })).toThrow(
      expect.objectContaining({ code: 'config_invalid' }),
    );
    expect(() => resolveAuthConfig({ publicUrl: 'not a url' })).toThrow(
      expect.objectContaining({ code: 'config_invalid' }),
    );
    expect(() => resolveAuthConfig({ publicUrl: 'ftp://example.com' })).toThrow(ConfigError);
  });
});

describe('Argon2id hasher', () => {
  const hasher = new PasswordHasher(ARGON2_MINIMUM, 2, 8);

  it('hashes with Argon2id m=19456 t=2 p=1 and verifies', async () => {
    const phc = await hasher.hash('correct horse battery staple');
    expect(phc.startsWith('$argon2id$')).toBe(true);
    const used = parseOptions(phc);
    expect([used.memoryCost, used.timeCost, used.parallelism]).toEqual([19_456, 2, 1]);
    expect(await hasher.verify(phc, 'correct horse battery staple')).toBe(true);
    expect(await hasher.verify(phc, 'correct horse battery stapl')).toBe(false);
    expect(hasher.needsRehash(phc)).toBe(false);
  });

  it('does not truncate: passwords that differ only after 72 bytes or 100 characters differ', async () => {
    const base = 'k'.repeat(150);
    const phc = await hasher.hash(`${base}A`);
    expect(await hasher.verify(phc, `${base}A`)).toBe(true);
    expect(await hasher.verify(phc, `${base}B`)).toBe(false);
  });

  it('matches NFKC-equivalent input (the same password typed differently)', async () => {
    const phc = await hasher.hash('caf\u00e9 au lait!');
    expect(await hasher.verify(phc, 'cafe\u0301 au lait!')).toBe(true);
  });

  it('verifies a dummy hash for an unknown user and still answers false', async () => {
    expect(await hasher.verify(undefined, 'bulwark dummy password for timing equalisation')).toBe(false);
  });

  it('flags weaker stored hashes for rehash', async () => {
    const stronger = new PasswordHasher({ ...ARGON2_MINIMUM, timeCost: 3 }, 1, 1);
    expect(stronger.needsRehash(await hasher.hash('some passphrase here'))).toBe(true);
  });
});

describe('semaphore', () => {
  it('runs at most max tasks, queues maxQueue more and refuses the rest', async () => {
    const gate = new Semaphore(2, 1);
    let running = 0;
    let peak = 0;
    const release: Array<() => void> = [];
    const task = () =>
      gate.run(async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => release.push(r));
        running -= 1;
      });
    const accepted = [task(), task(), task()];
    await expect(task()).rejects.toBeInstanceOf(SaturatedError);
    expect(gate.running).toBe(2);
    expect(gate.waiting).toBe(1);
    while (release.length > 0 || gate.running > 0) {
      release.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(accepted);
    expect(peak).toBe(2);
  });
});
