/**
 * Sign-in against an LDAP directory or Active Directory with ldapts: the server binds with its
 * search account over LDAPS or StartTLS (never a plain connection: the config refuses it),
 * finds the user's entry with a filter built from ldapts filter objects (BER-encoded values,
 * so `*`, `(`, `)`, `\` and NUL in a username are matched literally, never parsed), reads the
 * groups, then binds as the user with the typed password. An unknown user costs the same
 * operations as a wrong password (a bind as a DN that does not exist), so neither the answer
 * nor the number of directory round trips tells them apart.
 */
import { randomUUID } from 'node:crypto';
import {
  AndFilter,
  Client,
  type Entry,
  EqualityFilter,
  InappropriateAuthError,
  InvalidCredentialsError,
  InvalidDNSyntaxError,
  UnwillingToPerformError,
} from 'ldapts';
import { HttpProblem } from '../../http/problem.js';
import type { FederatedIdentity } from './accounts.js';
import type { LdapProviderConfig } from './config.js';

/** What a directory sign-in found. */
export type LdapOutcome =
  | { readonly ok: false }
  | { readonly ok: true; readonly identity: FederatedIdentity; readonly disabled: boolean };

/** The directory could not be asked: 503 `identity_provider_unavailable`. */
function unavailable(cause: unknown): HttpProblem {
  return new HttpProblem(
    503,
    'identity_provider_unavailable',
    'The directory cannot be reached; try again later.',
    {
      cause,
    },
  );
}

/** A bind refused for the credentials (as opposed to a network or server failure). */
function isCredentialRefusal(err: unknown): boolean {
  return (
    err instanceof InvalidCredentialsError ||
    err instanceof InappropriateAuthError ||
    err instanceof UnwillingToPerformError ||
    err instanceof InvalidDNSyntaxError
  );
}

function values(entry: Entry, attribute: string): (string | Buffer)[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  if (key === undefined) return [];
  const v = entry[key];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]) as (string | Buffer)[];
}

function text(v: string | Buffer | undefined): string | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v.toString('hex');
}

/**
 * An LDAP / Active Directory provider.
 *
 * @example
 * ```ts
 * const outcome = await new LdapDirectory(config).authenticate('alice', 'her password');
 * if (outcome.ok && !outcome.disabled) console.log(outcome.identity.subject);
 * ```
 */
export class LdapDirectory {
  readonly #config: LdapProviderConfig;

  constructor(config: LdapProviderConfig) {
    this.#config = config;
  }

  /** Checks `username` and `password` against the directory. */
  async authenticate(username: string, password: string): Promise<LdapOutcome> {
    const c = this.#config;
    const tlsOptions = {
      ...c.tls,
      minVersion: 'TLSv1.2' as const,
      rejectUnauthorized: true,
    };
    const client = new Client({
      url: c.url,
      timeout: c.timeoutMs,
      connectTimeout: c.timeoutMs,
      strictDN: true,
      ...(c.startTls ? {} : { tlsOptions }),
    });
    try {
      let entry: Entry | undefined;
      let groups: string[];
      try {
        if (c.startTls) await client.startTLS(tlsOptions);
        await client.bind(c.bindDn, c.bindPassword);
        const filter = new AndFilter({
          filters: [
            new EqualityFilter({ attribute: 'objectClass', value: c.userObjectClass }),
            new EqualityFilter({ attribute: c.usernameAttribute, value: username }),
          ],
        });
        const attributes = [
          c.usernameAttribute,
          c.subjectAttribute,
          'mail',
          'cn',
          'displayName',
          ...(c.memberOfAttribute === undefined ? [] : [c.memberOfAttribute]),
          ...(c.disabled === undefined ? [] : [c.disabled.attribute]),
        ];
        const found = await client.search(c.userBaseDn, {
          scope: 'sub',
          filter,
          sizeLimit: 2,
          attributes,
          explicitBufferAttributes:
            c.subjectAttribute.toLowerCase() === 'objectguid' ? [c.subjectAttribute] : [],
        });
        // Two entries for one login name is a directory error; neither may sign in.
        entry = found.searchEntries.length === 1 ? found.searchEntries[0] : undefined;
        groups = await this.#groups(client, entry);
      } catch (err) {
        throw unavailable(err);
      }
      // An unknown user binds as a DN that cannot exist: the same round trip, the same refusal.
      const dn = entry?.dn ?? `cn=bulwark-unknown-${randomUUID()},${c.userBaseDn}`;
      try {
        await client.bind(dn, password);
      } catch (err) {
        if (isCredentialRefusal(err)) return { ok: false };
        throw unavailable(err);
      }
      if (entry === undefined) return { ok: false };
      const subject = text(values(entry, c.subjectAttribute)[0]);
      if (subject === undefined || subject.length === 0) {
        throw new HttpProblem(
          502,
          'identity_provider_error',
          'The directory entry has no stable id attribute.',
        );
      }
      const claims: Record<string, unknown> = { groups, dn: entry.dn };
      for (const a of [c.usernameAttribute, 'mail', 'cn', 'displayName']) {
        const v = values(entry, a).map(text);
        if (v.length > 0) claims[a] = v.length === 1 ? v[0] : v;
      }
      return {
        ok: true,
        identity: {
          providerId: c.id,
          issuer: c.issuer,
          subject,
          username: text(values(entry, c.usernameAttribute)[0]) ?? username,
          claims,
        },
        disabled: this.#isDisabled(entry),
      };
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  /** DNs of the user's groups (the `memberOf` values, or a group search by member DN). */
  async #groups(client: Client, entry: Entry | undefined): Promise<string[]> {
    const c = this.#config;
    if (c.memberOfAttribute !== undefined) {
      return entry === undefined ? [] : values(entry, c.memberOfAttribute).map((v) => String(text(v)));
    }
    if (c.groupSearch === undefined) return [];
    // Searched for unknown users too (with a DN no group holds), so both cost the same.
    const memberDn = entry?.dn ?? `cn=bulwark-unknown-${randomUUID()},${c.userBaseDn}`;
    const found = await client.search(c.groupSearch.baseDn, {
      scope: 'sub',
      filter: new AndFilter({
        filters: [
          new EqualityFilter({
            attribute: 'objectClass',
            value: c.groupSearch.objectClass ?? 'groupOfNames',
          }),
          new EqualityFilter({ attribute: c.groupSearch.memberAttribute ?? 'member', value: memberDn }),
        ],
      }),
      attributes: ['dn'],
      sizeLimit: 1000,
    });
    return found.searchEntries.map((e) => e.dn);
  }

  #isDisabled(entry: Entry): boolean {
    const rule = this.#config.disabled;
    if (rule === undefined) return false;
    const v = values(entry, rule.attribute).map(text);
    if ('flag' in rule) return v.some((x) => x !== undefined && (Number.parseInt(x, 10) & rule.flag) !== 0);
    return v.some((x) => x === rule.equals);
  }
}
