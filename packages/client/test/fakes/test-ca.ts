/**
 * A throwaway certificate authority made with the openssl command line: an RSA CA, and server
 * certificates for localhost/127.0.0.1 with RSA and ECDSA P-256 keys, for real TLS sockets in the
 * pinning tests. Also the interception of a pinned intermediate: an attacker's root CA that copies
 * the real intermediate's subject and subject key identifier.
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

/** A real root → intermediate → leaf, and an attacker's look-alike of the intermediate. */
export interface SpoofedIntermediate {
  /** The real root CA (PEM). */
  root: string;
  /** The real intermediate CA (PEM), signed by the root; its key is what apps pin. */
  intermediate: string;
  /** The real server: key, and its leaf followed by the intermediate, as servers send them. */
  real: { key: string; chain: string; leaf: string };
  /** The attacker's root CA: self-signed, with the real intermediate's subject and SKI. */
  attackerRoot: string;
  /** The attacker's server key and leaf, signed by the attacker's root. */
  attacker: { key: string; leaf: string };
}

const CA_EXT = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n';
const LEAF_EXT =
  'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nauthorityKeyIdentifier=keyid\n';

/**
 * Makes the certificates of the pin bypass: the attacker's root CA copies the subject and the
 * subject key identifier of the real intermediate, so that name matching takes the real
 * intermediate for the issuer of the attacker's leaf, though it never signed it.
 */
export function makeSpoofedIntermediate(): SpoofedIntermediate {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-spoof-'));
  writeFileSync(join(dir, 'ca.ext'), `${CA_EXT}subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n`);
  writeFileSync(join(dir, 'leaf.ext'), LEAF_EXT);
  const subject = '/O=Bulwark Test/CN=Bulwark Test Issuing CA';
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'root.key', '-out', 'root.pem']
      .concat(['-days', '2', '-subj', '/CN=Bulwark Test Root'])
      .concat([
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ]),
    dir,
  );
  openssl(
    [
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'int.key',
      '-out',
      'int.csr',
      '-subj',
      subject,
    ],
    dir,
  );
  openssl(
    ['x509', '-req', '-in', 'int.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-set_serial', '100'].concat([
      '-days',
      '2',
      '-extfile',
      'ca.ext',
      '-out',
      'int.pem',
    ]),
    dir,
  );
  const ski = openssl(['x509', '-in', 'int.pem', '-noout', '-ext', 'subjectKeyIdentifier'], dir)
    .split('\n')[1]
    ?.trim();
  if (ski === undefined || !/^[0-9A-F:]+$/.test(ski)) throw new Error('the intermediate has no SKI');
  // No authority key identifier: with one computed from its own key, the look-alike would not
  // count as self-signed and would not serve as a trust anchor.
  openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'evil.key', '-out', 'evil.pem']
      .concat(['-days', '2', '-subj', subject])
      .concat([
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ])
      .concat(['-addext', `subjectKeyIdentifier=${ski}`, '-addext', 'authorityKeyIdentifier=none']),
    dir,
  );
  for (const [name, issuer, serial] of [
    ['leaf', 'int', '101'],
    ['evil-leaf', 'evil', '102'],
  ] as const) {
    openssl(
      ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.csr`,
        '-subj',
        '/CN=localhost',
      ]),
      dir,
    );
    openssl(
      ['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`].concat([
        '-set_serial',
        serial,
        '-days',
        '2',
        '-extfile',
        'leaf.ext',
        '-out',
        `${name}.pem`,
      ]),
      dir,
    );
  }
  return {
    root: read('root.pem'),
    intermediate: read('int.pem'),
    real: { key: read('leaf.key'), chain: read('leaf.pem') + read('int.pem'), leaf: read('leaf.pem') },
    attackerRoot: read('evil.pem'),
    attacker: { key: read('evil-leaf.key'), leaf: read('evil-leaf.pem') },
  };
}
