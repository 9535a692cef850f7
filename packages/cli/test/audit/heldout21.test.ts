/**
 * False highs of the twenty-first held-out set (apps that talk to devices or hold health data:
 * glucose monitors, insulin pump controllers, wearables, home automation), each class reproduced
 * by a small fixture written here, never an app's own code: the false high is lowered with its
 * reason shown, and a look-alike on the other side of the line keeps its high.
 */
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditReport } from '../../src/audit/types.js';
import { seen, type TreeAuditor, treeAuditor } from './lib/app-tree.js';
import { jks } from './lib/keystores.js';

let trees: TreeAuditor;

beforeAll(async () => {
  trees = await treeAuditor('bulwark-audit-heldout21-');
});
afterAll(async () => {
  await trees.remove();
});

const audit = (files: Record<string, string | Uint8Array>): Promise<AuditReport> => trees.audit(files);

/** The findings of a rule are as expected, and the one of `file` says `says` (its reason). */
function expectSeen(r: AuditReport, ruleId: string, expected: string[], file: string, says: string): void {
  expect(seen(r, ruleId)).toEqual(expected);
  expect(r.findings.find((f) => f.ruleId === ruleId && f.file === file)?.message).toContain(says);
}

describe('a twenty-first held-out set: device protocols, pinned verifiers, assets and translations', () => {
  it('ECB whose ciphertext is cut to one block is medium; ECB whose whole ciphertext is kept stays high', async () => {
    const r = await audit({
      'app/src/main/java/com/acme/ble/Auth.java': [
        'class Auth {',
        '  byte[] answer(byte[] challenge, byte[] key) throws Exception {',
        '    final byte[] block = new byte[16];',
        '    System.arraycopy(challenge, 0, block, 0, 8);',
        '    final Cipher c = Cipher.getInstance("AES/ECB/PKCS7Padding");',
        '    c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));',
        '    return Arrays.copyOfRange(c.doFinal(block, 0, block.length), 0, 8);',
        '  }',
        '}',
        '',
      ].join('\n'),
      'app/src/main/java/com/acme/ble/Legacy.java': [
        'class Legacy {',
        '  byte[] answer(byte[] data, byte[] key) throws Exception {',
        '    Cipher aes = Cipher.getInstance("AES/ECB/PKCS7Padding");',
        '    aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));',
        '    byte[] out = aes.doFinal(data, 0, data.length);',
        '    ByteBuffer bb = ByteBuffer.allocate(8);',
        '    bb.put(out, 0, 8);',
        '    return bb.array();',
        '  }',
        '}',
        '',
      ].join('\n'),
      'app/src/main/kotlin/com/acme/ble/Token.kt': [
        'fun token(data: ByteArray, key: ByteArray): ByteArray {',
        '    val c = Cipher.getInstance("AES/ECB/PKCS5Padding")',
        '    c.init(Cipher.ENCRYPT_MODE, SecretKeySpec(key, "AES"))',
        '    return c.doFinal(data).copyOf(16)',
        '}',
        '',
      ].join('\n'),
      'app/src/main/java/com/acme/store/Records.java': [
        'class Records {',
        '  byte[] seal(byte[] record, byte[] key) throws Exception {',
        '    Cipher aes = Cipher.getInstance("AES/ECB/PKCS5Padding");',
        '    aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));',
        '    byte[] out = aes.doFinal(record);',
        '    ByteBuffer bb = ByteBuffer.allocate(out.length);',
        '    bb.put(out, 0, 8);',
        '    bb.put(out, 8, out.length - 8);',
        '    return bb.array();',
        '  }',
        '  byte[] tail(byte[] record, byte[] key) throws Exception {',
        '    Cipher aes = Cipher.getInstance("AES");',
        '    aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));',
        '    return Arrays.copyOfRange(aes.doFinal(record), 16, 32);',
        '  }',
        '}',
        '',
      ].join('\n'),
    });
    expectSeen(
      r,
      'crypto-ecb-mode',
      [
        'app/src/main/java/com/acme/ble/Auth.java:5 medium',
        'app/src/main/java/com/acme/ble/Legacy.java:3 medium',
        'app/src/main/java/com/acme/store/Records.java:12 high',
        'app/src/main/java/com/acme/store/Records.java:3 high',
        'app/src/main/kotlin/com/acme/ble/Token.kt:2 medium',
      ],
      'app/src/main/java/com/acme/ble/Auth.java',
      'only the first 8 bytes of the ciphertext are kept',
    );
  });

  it('a trust-all chain check beside a host name verifier that pins the certificate is medium; beside one that returns true it stays high', async () => {
    // A class with an accept-all chain check and a host name verifier whose body is `verify`.
    const client = (name: string, fields: string[], verify: string[]) =>
      [
        `class ${name} {`,
        ...fields,
        '  static final X509TrustManager NAIVE = new X509TrustManager() {',
        '    public void checkClientTrusted(X509Certificate[] chain, String authType) {}',
        '    public void checkServerTrusted(X509Certificate[] chain, String authType) {}',
        '    public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }',
        '  };',
        '  static HostnameVerifier verifier() {',
        '    return new HostnameVerifier() {',
        '      public boolean verify(final String hostname, final SSLSession session) {',
        ...verify.map((line) => `        ${line}`),
        '      }',
        '    };',
        '  }',
        '}',
        '',
      ].join('\n');
    const r = await audit({
      'app/src/main/java/com/acme/sync/Pinned.java': client(
        'Pinned',
        ['  static final String PIN = "41e3ef040bc7befa7bcf482303ce8faedc801b41ba348f5531c41e8d9b713d18";'],
        [
          'try {',
          '  final String hash = sha256(session.getPeerCertificates()[0].getEncoded());',
          '  return PIN.equals(hash);',
          '} catch (Exception e) { return false; }',
        ],
      ),
      'app/src/main/java/com/acme/sync/Open.java': client(
        'Open',
        [],
        ['if (session.getPeerCertificates() == null) return false;', 'return true;'],
      ),
    });
    expect(seen(r, 'network-trust-all-certificates')).toEqual([
      'app/src/main/java/com/acme/sync/Open.java:4 high',
      'app/src/main/java/com/acme/sync/Pinned.java:5 medium',
    ]);
  });

  it('a key store in a docs folder wrapped in underscores is documentation; one among the resources is not', async () => {
    const r = await audit({
      '_docs/demo_keystore.jks': jks(['key']),
      'app/src/main/res/raw/server.jks': jks(['key']),
    });
    expect(seen(r, 'secret-private-key')).toEqual([
      '_docs/demo_keystore.jks: low',
      'app/src/main/res/raw/server.jks: high',
    ]);
  });

  it("a damaged zip among the app's assets is medium; a damaged app package or a zip elsewhere stays high", async () => {
    const good = Buffer.from(zipSync({ 'CustomWatchface.json': Buffer.from('{"name":"face"}') }));
    // Two stray bytes after the end-of-central-directory record: unzip and Python read it, yauzl not.
    const stray = Buffer.concat([good, Buffer.from([0, 0])]);
    const r = await audit({
      'plugins/faces/src/main/assets/Face.zip': stray,
      'app/src/main/assets/bundle.apk': stray,
      'release/Face.zip': stray,
    });
    expectSeen(
      r,
      'audit-unparsed-file',
      [
        'app/src/main/assets/bundle.apk: high',
        'plugins/faces/src/main/assets/Face.zip: medium',
        'release/Face.zip: high',
      ],
      'plugins/faces/src/main/assets/Face.zip',
      'a data archive among the app’s assets',
    );
  });

  it('credentials in a URL of a translated string resource are medium; the default strings.xml keeps its high', async () => {
    const strings = (text: string) =>
      `<resources>\n    <string name="receivers_help">${text}</string>\n</resources>\n`;
    const r = await audit({
      'app/src/main/res/values/strings.xml': strings(
        'e.g. mongodb://admin:Qx7rTz2p@db.acme-cloud.com:53958/db',
      ),
      'app/src/main/res/values-ro/strings.xml': strings(
        'de exemplu mongodb://utilizator:parola@db.acme-cloud.com:53958/db',
      ),
      'app/src/main/res/values-pt-rBR/strings.xml': strings(
        'por exemplo mongodb://usuario:senha@db.acme-cloud.com/db',
      ),
      'app/src/main/res/values-night/strings.xml': strings('mongodb://ops:Hw4kLm9v@db.acme-cloud.com/db'),
    });
    const at = (folder: string, severity: string) => `app/src/main/res/${folder}/strings.xml:2 ${severity}`;
    expect(seen(r, 'secret-url-credentials')).toEqual([
      at('values-night', 'high'),
      at('values-pt-rBR', 'medium'),
      at('values-ro', 'medium'),
      at('values', 'high'),
    ]);
  });

  it('a key whose comment above says to put your own there is medium; the same key without that comment stays high', async () => {
    const tool = (comment: string) =>
      [
        'public class SendCalibrations {',
        '  public static void main(String[] args) throws Exception {',
        `    ${comment}`,
        '    String key = "FDED3FA8DE0463285661EE1AB95A7E29";',
        '    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");',
        '    c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key.getBytes(), "AES"));',
        '  }',
        '}',
        '',
      ].join('\n');
    const r = await audit({
      'tools/send/SendCalibrations.java': tool(
        '// Per user key, make sure to change it according to your system!!!',
      ),
      'tools/send/SendOther.java': tool('// The key of the calibration service'),
    });
    expect(seen(r, 'crypto-hardcoded-key')).toEqual([
      'tools/send/SendCalibrations.java:4 medium',
      'tools/send/SendOther.java:4 high',
    ]);
  });
});
