/**
 * False positives measured on the audit corpus (bench/audit-corpus), each class reproduced by a
 * small fixture written here, never an app's own code: the false positive stays quiet or is
 * lowered with its reason shown, and a look-alike true case of the same rule is still found.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPath } from '../../src/audit/scan.js';
import type { AuditReport, Finding } from '../../src/audit/types.js';

let root: string;
let n = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bulwark-audit-fpc-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes the files (path → content) into a fresh app tree and audits it. */
async function audit(files: Record<string, string | Buffer>): Promise<AuditReport> {
  const dir = join(root, `app${n++}`);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return auditPath(dir, { now: () => new Date('2026-06-01T00:00:00Z') });
}

const of = (r: AuditReport, ruleId: string): Finding[] => r.findings.filter((f) => f.ruleId === ruleId);
const places = (r: AuditReport, ruleId: string): string[] =>
  of(r, ruleId)
    .map((f) => `${f.file}:${f.line ?? ''}`)
    .sort();

describe('identifiers under password-like names', () => {
  it('test tags, event and screen names, storage keys and theme attributes stay quiet; real passwords beside them are found', async () => {
    const r = await audit({
      'app/src/main/kotlin/com/acme/ui/PinDialog.kt': [
        'BulwarkPasswordField(',
        '    passwordFieldTestTag = "AlertInputField",',
        '    showPasswordTestTag = "ShowCardNumberButton",',
        ')',
        '',
      ].join('\n'),
      'src/lib/events.ts': [
        "export const SAVE_PASSWORD_EVENT = 'rl_go_e2e_save_password';",
        "export const CHANGE_PASSWORD = 'e2e_sec_change_password';",
        "const E2E_PASSWORD_SCREEN = 'E2ESaveYourPasswordView';",
        "export const E2E_RANDOM_PASSWORD_KEY = 'RC_E2E_RANDOM_PASSWORD_KEY';",
        '',
      ].join('\n'),
      'app/src/main/res/layout/fragment_login.xml': [
        '<com.google.android.material.textfield.TextInputLayout',
        '    xmlns:app="http://schemas.android.com/apk/res-auto"',
        '    app:passwordToggleTint="?attr/primary_field_03"',
        '    app:passwordToggleDrawable="@drawable/ic_eye_24dp" />',
        '',
      ].join('\n'),
      // Look-alikes that are real: a weak password of one word with digits, a camel-case one,
      // and a high-entropy one under a test-tag-like variable that is no tag.
      'src/lib/db.ts': [
        "const DB_PASSWORD = 'password123';",
        "const ADMIN_PASSWORD = 'MyPassword1';",
        "const smtpPassword = 'Kx9vQ2mLp4Zt';",
        '',
      ].join('\n'),
    });
    expect(places(r, 'secret-generic-assignment')).toEqual([
      'src/lib/db.ts:1',
      'src/lib/db.ts:2',
      'src/lib/db.ts:3',
    ]);
  });
});

describe('CI and release files whose values are references', () => {
  it('secrets contexts, $VAR, quoted braced variables, env.X stay quiet; a literal password in the same workflow is found', async () => {
    const r = await audit({
      '.github/workflows/release.yml': [
        'jobs:',
        '  build:',
        '    env:',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression of a fixture
        '      KEYSTORE_PASSWORD: ${{secrets.KEYSTORE_PASSWORD }}',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression of a fixture
        '      KEY_PASSWORD: ${{ secrets.KEY_PASSWORD }}',
        '      STORE_PASSWORD: env.UPLOAD_STORE_PASSWORD',
        '    steps:',
        '      - run: |',
        '          bundle exec fastlane sign storePassword:$UPLOAD_KEYSTORE_PASSWORD \\',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable of a fixture
        '            keyPassword:"$KEY_PASSWORD" aliasPassword:"${ALIAS_PASSWORD}"',
        '      - run: echo done',
        '        env:',
        '          SIGNING_PASSWORD: Zq8rT3vNw5Yp',
        '',
      ].join('\n'),
      'fastlane/envfiles/decrypt_secrets.sh':
        'gpg --quiet --batch --yes --decrypt --passphrase="$API_JSON_FILE_DECRYPTKEY" --output api.json api.json.gpg\n',
    });
    expect(places(r, 'secret-generic-assignment')).toEqual(['.github/workflows/release.yml:13']);
  });
});

describe('Flutter translation files', () => {
  it('.arb files stay quiet; the same assignment in Dart is found', async () => {
    const r = await audit({
      'lib/l10n/app_ca.arb':
        '{\n  "@@locale": "ca",\n  "password": "Contrasenya",\n  "token": "Testimoni12"\n}\n',
      'lib/src/app_fr.arb': '{ "new_password": "Nouveau mot de passe" , "passwordHint": "MotDePasse1" }\n',
      'lib/config.dart': "const password = 'Contrasenya9';\n",
    });
    expect(places(r, 'secret-generic-assignment')).toEqual(['lib/config.dart:1']);
  });
});
