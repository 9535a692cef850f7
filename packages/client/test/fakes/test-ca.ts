/**
 * A throwaway certificate authority made with the openssl command line: an RSA CA, and server
 * certificates for localhost/127.0.0.1 with RSA and ECDSA P-256 keys, for real TLS sockets in the
 * pinning tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServerCert {
  key: string;
  cert: string;
  /** The SPKI SHA-256 pin computed by openssl, independently of the code under test. */
  opensslPin: string;
}

function openssl(args: string[], cwd: string): string {
  return execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

export function makeTestCa(): { ca: string; server: (name: string, type: 'rsa' | 'ec') => ServerCert } {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-ca-'));
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=Bulwark Test CA',
    ],
    dir,
  );
  writeFileSync(
    join(dir, 'san.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
  let serial = 1;
  return {
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    server(name, type) {
      const keyArgs =
        type === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
      openssl(
        [
          'req',
          '-new',
          ...keyArgs,
          '-nodes',
          '-keyout',
          `${name}.key`,
          '-out',
          `${name}.csr`,
          '-subj',
          '/CN=localhost',
        ],
        dir,
      );
      openssl(
        [
          'x509',
          '-req',
          '-in',
          `${name}.csr`,
          '-CA',
          'ca.pem',
          '-CAkey',
          'ca.key',
          '-set_serial',
          String(serial++),
          '-days',
          '2',
          '-extfile',
          'san.ext',
          '-out',
          `${name}.pem`,
        ],
        dir,
      );
      const spki = execFileSync('openssl', ['x509', '-in', `${name}.pem`, '-pubkey', '-noout'], { cwd: dir });
      const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { cwd: dir, input: spki });
      const digest = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der });
      return {
        key: readFileSync(join(dir, `${name}.key`), 'utf8'),
        cert: readFileSync(join(dir, `${name}.pem`), 'utf8'),
        opensslPin: digest.toString('base64'),
      };
    },
  };
}
