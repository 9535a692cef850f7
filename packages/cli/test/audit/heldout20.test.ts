/**
 * False highs of the twentieth held-out set (public-sector, digital-identity and education apps),
 * each class reproduced by a small fixture written here, never an app's own code: the false high
 * is lowered with its reason, and a look-alike on the other side of the line keeps its verdict.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPath } from '../../src/audit/scan.js';
import type { AuditReport } from '../../src/audit/types.js';

let root: string;
let n = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bulwark-audit-heldout20-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes the files (path → content) into a fresh app tree and audits it. */
async function audit(files: Record<string, string>): Promise<AuditReport> {
  const dir = join(root, `app${n++}`);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return auditPath(dir, { now: () => new Date('2026-06-01T00:00:00Z') });
}

/** The findings of a rule as `file:line severity`, sorted. */
const seen = (r: AuditReport, ruleId: string): string[] =>
  r.findings
    .filter((f) => f.ruleId === ruleId)
    .map((f) => `${f.file}:${f.line ?? ''} ${f.severity}`)
    .sort();

const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const sig = 'Qm7cT2pW9xLr4Ke8Vb1Nz6Hd3Fs0Ja5Yg7Uo2Ti9Rw4Ep1Lc';
const jwt = (header: object, payload: object) => `${b64url(header)}.${b64url(payload)}.${sig}`;
const claims = {
  iss: 'https://issuer.acme.example',
  iat: 1767225600,
  exp: 1898761600,
  vct: 'urn:acme:pid:1',
};
const holderJwk = {
  kty: 'EC',
  crv: 'P-256',
  x: 'l_ysVpSB8eZzLQEDUu31zlWUdpvu6GDn62Oi8t98yf4',
  y: 'ah-YuIPTP-ZaKK2asmXXiWhqI4FPMTCfNdW3r8CE5TY',
};

describe('a twentieth held-out set: key-bound tokens, test modules, local broadcasts, text named as an archive', () => {
  it('a token bound to a holder key (cnf) is medium with its reason; a bearer token stays high', async () => {
    const vc = jwt({ alg: 'ES256', typ: 'dc+sd-jwt' }, { _sd: ['x'], ...claims, cnf: { jwk: holderJwk } });
    const dpop = jwt(
      { alg: 'RS256', typ: 'at+jwt' },
      { sub: 'user-42', ...claims, cnf: { jkt: 'NzbLsXh8uDCcd7noWXFZAfHkxZsRGC9Xs' } },
    );
    const bearer = jwt({ alg: 'ES256', typ: 'dc+sd-jwt' }, { _sd: ['x'], sub: 'user-42', ...claims });
    const odd = jwt({ alg: 'ES256', typ: 'JWT' }, { sub: 'user-42', ...claims, cnf: 'none' });
    const r = await audit({
      'app/src/main/java/com/acme/wallet/Samples.kt': [
        `const val PID = "${vc}"`,
        `const val ACCESS = "${dpop}"`,
        `const val SESSION = "${bearer}"`,
        `const val OTHER = "${odd}"`,
        '',
      ].join('\n'),
    });
    expect(seen(r, 'secret-jwt')).toEqual([
      'app/src/main/java/com/acme/wallet/Samples.kt:1 medium',
      'app/src/main/java/com/acme/wallet/Samples.kt:2 medium',
      'app/src/main/java/com/acme/wallet/Samples.kt:3 high',
      'app/src/main/java/com/acme/wallet/Samples.kt:4 high',
    ]);
    const first = r.findings.find((f) => f.ruleId === 'secret-jwt' && f.line === 1);
    expect(first?.message).toContain('bound to a holder key (cnf claim)');
  });

  it('a Gradle module named test-… holds test code; a module that merely contains "test" is the app', async () => {
    const token = jwt({ alg: 'HS256', typ: 'JWT' }, { sub: 'user-42', ...claims });
    const line = `const val TOKEN = "${token}"\n`;
    const r = await audit({
      'test-feature/src/main/java/com/acme/testfeature/TestData.kt': line,
      'test_logic/src/main/java/com/acme/TestLogic.kt': line,
      'contest-feature/src/main/java/com/acme/Contest.kt': line,
      'latest-news/src/main/java/com/acme/News.kt': line,
    });
    expect(seen(r, 'secret-jwt')).toEqual([
      'contest-feature/src/main/java/com/acme/Contest.kt:1 high',
      'latest-news/src/main/java/com/acme/News.kt:1 high',
      'test-feature/src/main/java/com/acme/testfeature/TestData.kt:1 low',
      'test_logic/src/main/java/com/acme/TestLogic.kt:1 low',
    ]);
  });

  it('a broadcast sent through a LocalBroadcastManager held in a variable stays in the process; the context’s own is found', async () => {
    const r = await audit({
      'app/src/main/java/com/acme/chat/PushService.java': [
        'class PushService {',
        '  public void onNewToken(String refreshed) {',
        '    LocalBroadcastManager lbm = LocalBroadcastManager.getInstance(this);',
        '    Intent intent = new Intent("FCM_REFRESH_TOKEN");',
        '    intent.putExtra("token", refreshed);',
        '    lbm.sendBroadcast(intent);',
        '  }',
        '}',
      ].join('\n'),
      'app/src/main/java/com/acme/chat/PushKt.kt': [
        'class PushKt(private val ctx: Context) {',
        '  private val broadcaster: LocalBroadcastManager by lazy { LocalBroadcastManager.getInstance(ctx) }',
        '  private val mgr = LocalBroadcastManager.getInstance(ctx)',
        '  fun send(token: String) {',
        '    val intent = Intent("com.acme.chat.TOKEN")',
        '    intent.putExtra("token", token)',
        '    mgr.sendBroadcast(intent)',
        '    val other = Intent("com.acme.chat.TOKEN2")',
        '    other.putExtra("token", token)',
        '    ctx.sendBroadcast(other)',
        '  }',
        '}',
      ].join('\n'),
    });
    expect(seen(r, 'android-implicit-intent')).toEqual(['app/src/main/java/com/acme/chat/PushKt.kt:10 high']);
  });

  it('a text file whose name ends in .aar is read as text; a binary one that is no zip is still unscanned', async () => {
    const r = await audit({
      'packaging/android/build.gradle.append.aar':
        "android {\n  packagingOptions {\n    exclude '**/libplugins_*.so'\n  }\n}\nrepo_password = 'Zt8#qLm2vX9rKp4W'\n",
      'libs/broken.aar': `\u0000\u0001garbage${'\u0000'.repeat(40)}`,
      'libs/large.jar':
        'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n',
    });
    expect(seen(r, 'audit-unparsed-file')).toEqual(['libs/broken.aar: high', 'libs/large.jar: high']);
    expect(seen(r, 'secret-generic-assignment')).toEqual([
      'packaging/android/build.gradle.append.aar:6 high',
    ]);
  });
});
