/**
 * Classes of false findings measured on the twenty-second held-out set of bench/audit-corpus
 * (storefront, wallet and note apps built with React Native, Flutter and Cordova), each reproduced
 * by a small fixture written here, never an app's own code: the false finding is lowered with its
 * reason shown (or no longer found where the value is no secret at all), and a look-alike on the
 * other side of the line keeps its verdict.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditReport } from '../../src/audit/types.js';
import { findingsOf, severitiesOf, type TreeAuditor, treeAuditor } from './lib/app-tree.js';

let trees: TreeAuditor;

beforeAll(async () => {
  trees = await treeAuditor('bulwark-audit-heldout22-');
});
afterAll(() => trees.remove());

const audit = (files: Record<string, string | Uint8Array>): Promise<AuditReport> => trees.audit(files);

const of = findingsOf;
const severities = severitiesOf;

describe('a twenty-second held-out set: test places by other names', () => {
  it('an integration suite named test_integration/ and Maestro flows in maestro/ are test code; an app package named maestro is not', async () => {
    const line = "const privateKey = 'Uq7Lm2Xv9Rt4Bn8Kc3Wz6Yp1Sd5Fg0Hj';\n";
    const r = await audit({
      'test_integration/helpers/funded_keys.dart': line,
      'lib/wallet/keys.dart': line,
      'maestro/flows/android/login.yaml': 'env:\n  USER_PASSWORD: "Vq8#kLz2Wm4r"\n',
      'android/app/src/main/java/com/shop/maestro/Config.java': `class Config { static final String API_SECRET = "Uq7Lm2Xv9Rt4Bn8Kc3Wz6Yp1Sd5Fg0Hj"; }\n`,
    });
    expect(severities(r, 'secret-generic-assignment')).toEqual([
      ['android/app/src/main/java/com/shop/maestro/Config.java', 'high'],
      ['lib/wallet/keys.dart', 'high'],
      ['maestro/flows/android/login.yaml', 'low'],
      ['test_integration/helpers/funded_keys.dart', 'low'],
    ]);
  });
});

describe('a twenty-second held-out set: key stores kept encrypted by git-crypt', () => {
  it('a key store that is git-crypt ciphertext is medium with its reason; one of other bytes stays high', async () => {
    const r = await audit({
      'android/secrets/keystore.jks': Buffer.concat([
        Buffer.from('\0GITCRYPT\0', 'latin1'),
        randomBytes(600),
      ]),
      'android/app/release.jks': randomBytes(600),
    });
    expect(severities(r, 'secret-private-key')).toEqual([
      ['android/app/release.jks', 'high'],
      ['android/secrets/keystore.jks', 'medium'],
    ]);
    expect(of(r, 'secret-private-key').find((f) => f.severity === 'medium')?.message).toContain('git-crypt');
  });
});

describe('a twenty-second held-out set: placeholder domains in a network security config', () => {
  it('cleartext for a documentation domain left for the integrator is medium; for a real domain it stays high', async () => {
    const nsc = (domain: string) =>
      `<?xml version="1.0" encoding="utf-8"?>\n<network-security-config>\n  <domain-config cleartextTrafficPermitted="true">\n    <domain includeSubdomains="true">${domain}</domain>\n  </domain-config>\n</network-security-config>\n`;
    const r = await audit({
      'template/src/main/res/xml/network_security_config.xml': nsc('api.example.com(to be adjusted)'),
      'shop/src/main/res/xml/network_security_config.xml': nsc('api.shop-example.com'),
    });
    expect(severities(r, 'android-nsc-cleartext')).toEqual([
      ['shop/src/main/res/xml/network_security_config.xml', 'high'],
      ['template/src/main/res/xml/network_security_config.xml', 'medium'],
    ]);
    expect(of(r, 'android-nsc-cleartext').find((f) => f.severity === 'medium')?.message).toContain(
      'placeholders',
    );
  });
});

describe('a twenty-second held-out set: values that are names or addresses', () => {
  it('an e-mail under a name ending in email and a preference key with a version are no secret; a password is', async () => {
    const r = await audit({
      'lib/flows.dart': "const forgotPasswordEmail = 'help.desk42@shopmail.net';\n",
      'lib/prefs.dart': "const walletPasswordUpdateV1Base = 'monero_wallet_update_v1';\n",
      'lib/smtp.dart': "const smtpPassword = 'Horse_battery_9x';\n",
    });
    expect(severities(r, 'secret-generic-assignment')).toEqual([['lib/smtp.dart', 'high']]);
  });
});

describe('a twenty-second held-out set: a private key in a commented-out line', () => {
  it('a PEM private key in a // comment of code is medium with its reason; the same key in code stays critical', async () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ format: 'pem', type: 'pkcs1' })
      .toString()
      .trim()
      .replace(/\n/g, '\\n');
    const r = await audit({
      'src/root.tsx': `// Keep this below to test the RSA module\n// const testData = {\n// \t"privateKey": "${pem}",\n// };\nexport const x = 1;\n`,
      'src/keys.ts': `export const privateKey = "${pem}";\n`,
    });
    expect(severities(r, 'secret-private-key')).toEqual([
      ['src/keys.ts', 'critical'],
      ['src/root.tsx', 'medium'],
    ]);
    expect(of(r, 'secret-private-key').find((f) => f.severity === 'medium')?.message).toContain(
      'commented-out line',
    );
  });
});
