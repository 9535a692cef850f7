/**
 * A SAML 2.0 identity provider built in the test: its own RSA key pair, responses signed with
 * xml-crypto (the assertion, enveloped, exclusive C14N, RSA-SHA256), and the means to break
 * them (no signature, wrapped copies, other audiences and times, a comment inside the NameID).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';

const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';

/** What goes into one assertion; every field can be broken by a test. */
export interface AssertionSpec {
  id?: string;
  issuer?: string;
  nameId: string;
  audience: string;
  recipient: string;
  inResponseTo: string | undefined;
  issueInstant?: Date;
  notBefore?: Date;
  notOnOrAfter?: Date;
  attributes?: Record<string, string[]>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
const iso = (d: Date) => d.toISOString();

/** The test IdP. */
export class TestIdp {
  readonly entityId = 'https://idp.example.test/saml';
  readonly ssoUrl = 'https://idp.example.test/sso';
  readonly #privateKey: string;
  readonly publicKeyPem: string;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.#privateKey = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    this.publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  /** The request id and RelayState of an SP redirect URL (HTTP-Redirect binding). */
  static parseRequest(redirectUrl: string): { requestId: string; relayState: string; xml: string } {
    const url = new URL(redirectUrl);
    const xml = inflateRawSync(Buffer.from(String(url.searchParams.get('SAMLRequest')), 'base64')).toString(
      'utf8',
    );
    const requestId = /\sID="([^"]+)"/.exec(xml)?.[1] ?? '';
    return { requestId, relayState: String(url.searchParams.get('RelayState')), xml };
  }

  /** An unsigned assertion. */
  assertion(spec: AssertionSpec): string {
    const now = spec.issueInstant ?? new Date();
    const notBefore = spec.notBefore ?? new Date(now.getTime() - 30_000);
    const notOnOrAfter = spec.notOnOrAfter ?? new Date(now.getTime() + 300_000);
    const id = spec.id ?? `_a${randomBytes(16).toString('hex')}`;
    const irt = spec.inResponseTo === undefined ? '' : ` InResponseTo="${esc(spec.inResponseTo)}"`;
    const attrs = Object.entries(spec.attributes ?? {})
      .map(
        ([name, values]) =>
          `<saml:Attribute Name="${esc(name)}">${values.map((v) => `<saml:AttributeValue>${esc(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`,
      )
      .join('');
    return (
      `<saml:Assertion xmlns:saml="${SAML}" ID="${id}" Version="2.0" IssueInstant="${iso(now)}">` +
      `<saml:Issuer>${esc(spec.issuer ?? this.entityId)}</saml:Issuer>` +
      `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">${esc(spec.nameId)}</saml:NameID>` +
      `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
      `<saml:SubjectConfirmationData${irt} NotOnOrAfter="${iso(notOnOrAfter)}" Recipient="${esc(spec.recipient)}"/>` +
      `</saml:SubjectConfirmation></saml:Subject>` +
      `<saml:Conditions NotBefore="${iso(notBefore)}" NotOnOrAfter="${iso(notOnOrAfter)}">` +
      `<saml:AudienceRestriction><saml:Audience>${esc(spec.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
      `<saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="_s${randomBytes(8).toString('hex')}">` +
      `<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
      (attrs.length > 0 ? `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` : '') +
      `</saml:Assertion>`
    );
  }

  /** Signs an assertion (the signature goes after its Issuer, as SAML requires). */
  sign(assertionXml: string): string {
    const sig = new SignedXml({
      privateKey: this.#privateKey,
      signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
    });
    sig.addReference({
      xpath: "/*[local-name(.)='Assertion']",
      transforms: [
        'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
        'http://www.w3.org/2001/10/xml-exc-c14n#',
      ],
      digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    });
    sig.computeSignature(assertionXml, {
      location: { reference: "/*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: 'after' },
    });
    return sig.getSignedXml();
  }

  /** A Response around `assertionsXml`, base64 as posted to the ACS. */
  response(assertionsXml: string, spec: { inResponseTo: string | undefined; destination: string }): string {
    const irt = spec.inResponseTo === undefined ? '' : ` InResponseTo="${esc(spec.inResponseTo)}"`;
    const xml =
      `<samlp:Response xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="_r${randomBytes(16).toString('hex')}" Version="2.0" ` +
      `IssueInstant="${iso(new Date())}" Destination="${esc(spec.destination)}"${irt}>` +
      `<saml:Issuer>${esc(this.entityId)}</saml:Issuer>` +
      `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
      assertionsXml +
      `</samlp:Response>`;
    return Buffer.from(xml, 'utf8').toString('base64');
  }
}
