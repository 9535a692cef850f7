/**
 * Classes of false findings measured on the fifteenth held-out set of bench/audit-corpus (ordinary
 * apps built with cross-platform stacks: Flutter, React Native, Capacitor, NativeScript, Kotlin
 * Multiplatform, Tauri, .NET MAUI), each reproduced by a small fixture written here, never an
 * app's own code: the false finding is lowered with its reason shown, and a look-alike on the
 * other side of the line keeps its verdict.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditReport } from '../../src/audit/types.js';
import { findingsOf, severitiesOf, type TreeAuditor, treeAuditor } from './lib/app-tree.js';

let trees: TreeAuditor;

beforeAll(async () => {
  trees = await treeAuditor('bulwark-audit-heldout15-');
});
afterAll(() => trees.remove());

const audit = (files: Record<string, string | Uint8Array>): Promise<AuditReport> => trees.audit(files);

const of = findingsOf;
const severities = severitiesOf;

/** A self-signed certificate (DER, base64) the project made for this test: public by nature. */
const CERTIFICATE =
  'MIIBiTCCAS+gAwIBAgIUB5ElnLJKPZOnz3y3Oku/iBnYNwkwCgYIKoZIzj0EAwIwGjEYMBYGA1UEAwwPRml4dHVyZSBSb290IENBMB4XDTI2MTIwNzE5MDUzN1oXDTM2MTIwNDE5MDUzN1owGjEYMBYGA1UEAwwPRml4dHVyZSBSb290IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEG54c+iDvNXB8lvYez/zACAvlQ0C/WiO3Wo2vXSEQSmBZRdybCFprnpgXqdCdaQx9Al51gbthd2ePHcb7C9gZP6NTMFEwHQYDVR0OBBYEFAq6vl/CoQr6RMr9IB/DTGPm5JTgMB8GA1UdIwQYMBaAFAq6vl/CoQr6RMr9IB/DTGPm5JTgMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgHE3uYh0h3zVSQjGKKZ0auH8rjjvWWm5ERzX77C6vwjoCIQDbyBohArAQV6FVPOElC17C2jnVFT5gDiiRCNnTDPGKog==';

describe('a fifteenth held-out set: environment files of client settings', () => {
  it('an analytics SDK token and a certificate are no secret; a private key under a certificate name is', async () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      .privateKey.export({ format: 'der', type: 'pkcs8' })
      .toString('base64');
    const r = await audit({
      'settings/.env.production': `API_URL=https://api.example.org\nMIXPANEL_TOKEN='5f0c2a9e7b1d4c3a8e6f9b2d1c0a7e4b'\nWALLET_ROOT_CERT="${CERTIFICATE}"\n`,
      'client/.env.production': `API_URL=https://api.example.org\nCLIENT_CERT="${key}"\n`,
    });
    expect(severities(r, 'secret-dotenv-file')).toEqual([
      ['client/.env.production', 'high'],
      ['settings/.env.production', 'medium'],
    ]);
    expect(of(r, 'secret-dotenv-file').find((f) => f.file === 'client/.env.production')?.message).toContain(
      'CLIENT_CERT',
    );
  });
});

describe('a fifteenth held-out set, second batch: deployment settings in environment files', () => {
  it('a captcha bypass, key vault names beside account addresses and region labels are no secret; a password, a private key and a random token are', async () => {
    const address = (digit: string) => `0x${digit.repeat(40)}`;
    const r = await audit({
      'bypass/.env.testnet': 'CAPTCHA_BYPASS_TOKEN=special-captcha-bypass-token\n',
      'vaults/.env.testnet': `ORACLE_ADDRESS_KEY_VAULTS=${address('a')}:testnet-oracle0,${address('b')}:testnet-oracle1:eastus\n`,
      'labels/.env.testnet': 'NODEKEY_DERIVATION_STRING=GCP_EUROPE_WEST1_NODES\n',
      'password/.env.testnet': 'DB_PASS=Kx9vQ2\n',
      'signer/.env.testnet': `SIGNER_PRIVATE_KEY=0x${'7c'.repeat(32)}\n`,
      'token/.env.testnet': 'API_TOKEN=Zx81_kLq9-Tn4wPz7Rb2Y\n',
    });
    expect(severities(r, 'secret-dotenv-file')).toEqual([
      ['bypass/.env.testnet', 'medium'],
      ['labels/.env.testnet', 'medium'],
      ['password/.env.testnet', 'high'],
      ['signer/.env.testnet', 'high'],
      ['token/.env.testnet', 'high'],
      ['vaults/.env.testnet', 'medium'],
    ]);
  });
});

describe('a fifteenth held-out set: a development or mock server beside the app', () => {
  it('a stand-in backend for running the app locally is set aside with its reason; the app beside it is not', async () => {
    const value = "export const password = 'Kx9vQ2mLp4Zt';\n";
    const r = await audit({
      'apps/dev-api-server/src/session.ts': value,
      'mock-server/routes/login.js': value,
      'fake_backend/users.ts': value,
      'apps/main-app/src/server/session.ts': value,
      'apps/main-app/src/devserver-client/session.ts': value,
    });
    expect(severities(r, 'secret-generic-assignment')).toEqual([
      ['apps/dev-api-server/src/session.ts', 'low'],
      ['apps/main-app/src/devserver-client/session.ts', 'high'],
      ['apps/main-app/src/server/session.ts', 'high'],
      ['fake_backend/users.ts', 'low'],
      ['mock-server/routes/login.js', 'low'],
    ]);
    expect(of(r, 'secret-generic-assignment').find((f) => f.severity === 'low')?.context?.reason).toBe(
      'a development or mock server (a stand-in backend for running the app locally), not shipped',
    );
  });
});

describe('a fifteenth held-out set: the Info.plist of a development target', () => {
  it('ATS off in a target named for development or staging is medium with its reason; the release target and a Device target stay high', async () => {
    const plist =
      '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n<key>NSAppTransportSecurity</key>\n<dict>\n<key>NSAllowsArbitraryLoads</key>\n<true/>\n</dict>\n</dict>\n</plist>\n';
    const r = await audit({
      'ios/AcmeDev-Info.plist': plist,
      'ios/Acme-Staging-Info.plist': plist,
      'ios/Acme/Info.plist': plist,
      'ios/Device-Info.plist': plist,
    });
    expect(severities(r, 'ios-ats-arbitrary-loads')).toEqual([
      ['ios/Acme-Staging-Info.plist', 'medium'],
      ['ios/Acme/Info.plist', 'high'],
      ['ios/AcmeDev-Info.plist', 'medium'],
      ['ios/Device-Info.plist', 'high'],
    ]);
    expect(
      of(r, 'ios-ats-arbitrary-loads').find((f) => f.file === 'ios/AcmeDev-Info.plist')?.message,
    ).toContain('the Info.plist of a target named for development or testing');
  });
});

describe('a fifteenth held-out set: the web implementation of a Capacitor plugin', () => {
  it('a token in localStorage inside a class that extends WebPlugin is medium with its reason; elsewhere it stays high', async () => {
    const store = "    localStorage.setItem('refresh_token', token);\n";
    const r = await audit({
      'plugins/auth/web.ts': `import { WebPlugin } from '@capacitor/core';\nexport class AuthWeb extends WebPlugin {\n  async save(token: string) {\n${store}  }\n}\n`,
      'src/session.ts': `export class Session {\n  save(token: string) {\n${store}  }\n}\n`,
    });
    expect(severities(r, 'storage-token-in-web-storage')).toEqual([
      ['plugins/auth/web.ts', 'medium'],
      ['src/session.ts', 'high'],
    ]);
    expect(of(r, 'storage-token-in-web-storage').find((f) => f.severity === 'medium')?.message).toContain(
      'the web implementation of a Capacitor plugin',
    );
  });
});
