/**
 * Passkeys (WebAuthn) with @simplewebauthn/server: registration by a signed-in account, and the
 * assertion an admin presents after the password when the server requires it. Challenges live in
 * the database (so any node can finish what another began), are single use, expire after
 * `passkeyChallengeTtlSeconds`, and are bound to the account and to the device key (DPoP
 * thumbprint) that asked for them. docs/identity.md#passkeys explains what this protects against.
 */
import { randomUUID } from 'node:crypto';
import { BulwarkError } from '@bulwark/core';
import {
  type AuthenticationExtensionsClientInputs,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { Kysely } from 'kysely';
import type { PasskeyConfig } from '../config.js';
import type { Database, PasskeysTable, Role } from '../db/schema.js';
import type { SecurityEventLog } from '../events/log.js';
import { findUserByUsername } from './users.js';

/** Stable codes of passkey failures (docs/errors.md). */
export type PasskeyErrorCode =
  | 'passkeys_not_configured'
  | 'passkey_challenge_invalid'
  | 'passkey_registration_failed'
  | 'passkey_exists'
  | 'passkey_limit_reached'
  | 'passkey_not_registered'
  | 'passkey_invalid'
  | 'passkey_counter_regressed';

/** A refused passkey operation; routes turn it into problem+json with the same code. */
export class PasskeyError extends BulwarkError<PasskeyErrorCode> {
  constructor(code: PasskeyErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

// A type alias, not an interface: it must fit the passkey routes' response schema type (see
// UserView in directory.ts).
/** A passkey as its owner sees it. */
export type PasskeyView = {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly lastUsedAt?: string;
  readonly backedUp: boolean;
};

/** What the client answers `passkey_required` with. */
export interface PasskeyAssertion {
  readonly challengeId: string;
  readonly response: AuthenticationResponseJSON;
}

/** Most passkeys one account may hold. */
export const MAX_PASSKEYS_PER_USER = 20;
/** How long the browser may wait for the authenticator (ms), well inside the challenge lifetime. */
const CEREMONY_TIMEOUT_MS = 120_000;

/**
 * Passkey registration, listing and second-factor verification.
 *
 * @example
 * ```ts
 * const passkeys = new PasskeyService(db, resolveAuthConfig({ publicOrigin: 'https://bulwark.example.com' }).passkeys, () => new Date());
 * const options = await passkeys.registrationOptions({ id: user.id, username: user.username }, jkt);
 * ```
 */
export class PasskeyService {
  readonly #db: Kysely<Database>;
  readonly #config: PasskeyConfig;
  readonly #now: () => Date;
  #origin: string | undefined;
  #rpId: string | undefined;

  constructor(db: Kysely<Database>, config: PasskeyConfig, now: () => Date) {
    this.#db = db;
    this.#config = config;
    this.#now = now;
    this.#origin = config.origin;
    this.#rpId = config.rpId;
  }

  /** The origin and rp id assertions are checked against, once known. */
  get relyingParty(): { readonly origin: string; readonly rpId: string } | undefined {
    return this.#origin === undefined || this.#rpId === undefined
      ? undefined
      : { origin: this.#origin, rpId: this.#rpId };
  }

  /**
   * Sets the local default, `http://localhost:<port>` with rp id `localhost`, when no origin was
   * configured; `bulwark serve` calls it once it knows its port.
   */
  useLocalOrigin(port: number): void {
    if (this.#origin !== undefined) return;
    this.#origin = `http://localhost:${port}`;
    this.#rpId ??= 'localhost';
  }

  #rp(): { origin: string; rpId: string } {
    const rp = this.relyingParty;
    if (rp === undefined) {
      throw new PasskeyError(
        'passkeys_not_configured',
        'Passkeys need the public origin of the console (publicOrigin or --public-url).',
      );
    }
    return rp;
  }

  /** True when this account must present a passkey after its password. */
  async required(user: { readonly id: string; readonly role: Role }): Promise<boolean> {
    if (!this.#config.requireAdminPasskey || user.role !== 'admin') return false;
    const row = await this.#db
      .selectFrom('passkeys')
      .select('id')
      .where('user_id', '=', user.id)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** The account's passkeys, oldest first. */
  async list(userId: string): Promise<PasskeyView[]> {
    const rows = await this.#db
      .selectFrom('passkeys')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(passkeyView);
  }

  /** Deletes one of the account's own passkeys; false when it has no such passkey. */
  async remove(userId: string, id: string): Promise<boolean> {
    const res = await this.#db
      .deleteFrom('passkeys')
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  }

  /** Options for `navigator.credentials.create()`, with a fresh single-use challenge. */
  async registrationOptions(
    user: { readonly id: string; readonly username: string },
    jkt: string,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const { rpId } = this.#rp();
    const existing = await this.#credentials(user.id);
    if (existing.length >= MAX_PASSKEYS_PER_USER) {
      throw new PasskeyError(
        'passkey_limit_reached',
        `An account holds at most ${MAX_PASSKEYS_PER_USER} passkeys.`,
      );
    }
    const options = await generateRegistrationOptions({
      rpName: this.#config.rpName,
      rpID: rpId,
      userName: user.username,
      // The user handle is the account id: stable, and no personal data on the authenticator.
      userID: new TextEncoder().encode(user.id),
      timeout: CEREMONY_TIMEOUT_MS,
      attestationType: 'none',
      excludeCredentials: existing.map((c) => ({ id: c.id, transports: c.transports })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      // `prf` asks whether the authenticator can derive secrets: the demo app's unlock uses it.
      extensions: { credProps: true, prf: {} } as AuthenticationExtensionsClientInputs,
    });
    await this.#storeChallenge(user.id, 'registration', jkt, options.challenge);
    return options;
  }

  /** Verifies a registration answer to a challenge this account and device asked for; stores the passkey. */
  async register(
    userId: string,
    jkt: string,
    response: RegistrationResponseJSON,
    name: string | undefined,
  ): Promise<PasskeyView> {
    const rp = this.#rp();
    const challenge = challengeOf(response.response.clientDataJSON);
    const row =
      challenge === undefined ? undefined : await this.#consume({ challenge }, userId, 'registration', jkt);
    if (row === undefined) {
      throw new PasskeyError(
        'passkey_challenge_invalid',
        'Unknown, used or expired challenge; ask for a new one.',
      );
    }
    let info: Awaited<ReturnType<typeof verifyRegistrationResponse>>['registrationInfo'];
    try {
      const result = await verifyRegistrationResponse({
        response,
        expectedChallenge: row.challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.rpId,
        requireUserVerification: false,
      });
      info = result.registrationInfo;
    } catch (err) {
      throw new PasskeyError(
        'passkey_registration_failed',
        'The passkey registration could not be verified.',
        {
          cause: err,
        },
      );
    }
    if (info === undefined) {
      throw new PasskeyError(
        'passkey_registration_failed',
        'The passkey registration could not be verified.',
      );
    }
    const taken = await this.#db
      .selectFrom('passkeys')
      .select('id')
      .where('credential_id', '=', info.credential.id)
      .executeTakeFirst();
    if (taken !== undefined) throw new PasskeyError('passkey_exists', 'This passkey is already registered.');
    const count = (await this.#credentials(userId)).length;
    if (count >= MAX_PASSKEYS_PER_USER) {
      throw new PasskeyError(
        'passkey_limit_reached',
        `An account holds at most ${MAX_PASSKEYS_PER_USER} passkeys.`,
      );
    }
    const passkey: PasskeysTable = {
      id: randomUUID(),
      user_id: userId,
      credential_id: info.credential.id,
      public_key: Buffer.from(info.credential.publicKey).toString('base64url'),
      counter: info.credential.counter,
      transports: JSON.stringify(info.credential.transports ?? []),
      name: name ?? `Passkey ${count + 1}`,
      device_type: info.credentialDeviceType,
      backed_up: info.credentialBackedUp ? 1 : 0,
      created_at: this.#now().getTime(),
      last_used_at: null,
    };
    try {
      await this.#db.insertInto('passkeys').values(passkey).execute();
    } catch (err) {
      // The same passkey registered twice at once loses the unique index; anything else (the
      // database gone) is not that, and keeps its own answer.
      const raced = await this.#db
        .selectFrom('passkeys')
        .select('id')
        .where('credential_id', '=', info.credential.id)
        .executeTakeFirst();
      if (raced === undefined) throw err;
      throw new PasskeyError('passkey_exists', 'This passkey is already registered.', { cause: err });
    }
    return passkeyView(passkey);
  }

  /** Options for `navigator.credentials.get()` listing the account's passkeys, and the challenge id. */
  async authenticationOptions(
    userId: string,
    jkt: string,
  ): Promise<{ challengeId: string; options: PublicKeyCredentialRequestOptionsJSON }> {
    const { rpId } = this.#rp();
    const credentials = await this.#credentials(userId);
    const options = await generateAuthenticationOptions({
      rpID: rpId,
      timeout: CEREMONY_TIMEOUT_MS,
      allowCredentials: credentials.map((c) => ({ id: c.id, transports: c.transports })),
      userVerification: 'preferred',
    });
    const challengeId = await this.#storeChallenge(userId, 'authentication', jkt, options.challenge);
    return { challengeId, options };
  }

  /**
   * Verifies an assertion against a challenge issued to this account and device key; on success
   * the challenge is spent and the passkey's counter moves forward. Returns the passkey's id.
   */
  async verifyAuthentication(userId: string, jkt: string, assertion: PasskeyAssertion): Promise<string> {
    const rp = this.#rp();
    const row = await this.#consume({ id: assertion.challengeId }, userId, 'authentication', jkt);
    if (row === undefined) {
      throw new PasskeyError(
        'passkey_challenge_invalid',
        'Unknown, used or expired challenge; sign in again.',
      );
    }
    const passkey = await this.#db
      .selectFrom('passkeys')
      .selectAll()
      .where('credential_id', '=', assertion.response.id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (passkey === undefined) {
      throw new PasskeyError('passkey_not_registered', 'This passkey is not registered to this account.');
    }
    let result: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
    try {
      result = await verifyAuthenticationResponse({
        response: assertion.response,
        expectedChallenge: row.challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.rpId,
        credential: {
          id: passkey.credential_id,
          publicKey: new Uint8Array(Buffer.from(passkey.public_key, 'base64url')),
          // The library compares counters before it checks the signature; the comparison is made
          // below, after it, so that only a genuine assertion can be called a cloned authenticator.
          counter: 0,
          transports: parseTransports(passkey.transports),
        },
        requireUserVerification: false,
      });
    } catch (err) {
      throw new PasskeyError('passkey_invalid', 'The passkey assertion could not be verified.', {
        cause: err,
      });
    }
    if (!result.verified)
      throw new PasskeyError('passkey_invalid', 'The passkey assertion could not be verified.');
    const stored = Number(passkey.counter);
    const { newCounter, credentialBackedUp } = result.authenticationInfo;
    if ((newCounter > 0 || stored > 0) && newCounter <= stored) {
      throw new PasskeyError(
        'passkey_counter_regressed',
        'The passkey signature counter went backwards: the authenticator may have been cloned.',
      );
    }
    // The counter only moves forward, even when two assertions race: a clone and the original
    // presenting the same counter at once both passed the comparison above, one wins here.
    const counts = newCounter > 0 || stored > 0;
    const updated = await this.#db
      .updateTable('passkeys')
      .set({
        counter: newCounter,
        last_used_at: this.#now().getTime(),
        backed_up: credentialBackedUp ? 1 : 0,
      })
      .where('id', '=', passkey.id)
      .where('counter', counts ? '<' : '<=', newCounter)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) {
      throw new PasskeyError(
        'passkey_counter_regressed',
        'The passkey signature counter went backwards: the authenticator may have been cloned.',
      );
    }
    return passkey.id;
  }

  async #credentials(userId: string): Promise<{ id: string; transports: AuthenticatorTransportFuture[] }[]> {
    const rows = await this.#db
      .selectFrom('passkeys')
      .select(['credential_id', 'transports'])
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({ id: r.credential_id, transports: parseTransports(r.transports) }));
  }

  async #storeChallenge(
    userId: string,
    purpose: 'registration' | 'authentication',
    jkt: string,
    challenge: string,
  ): Promise<string> {
    const nowMs = this.#now().getTime();
    const id = randomUUID();
    await this.#db.transaction().execute(async (trx) => {
      // One outstanding challenge per account, device key and purpose: a new one replaces it,
      // so the table stays bounded by accounts × devices, and expired ones go along the way.
      await trx
        .deleteFrom('passkey_challenges')
        .where((eb) =>
          eb.or([
            eb('expires_at', '<=', nowMs),
            eb.and([eb('user_id', '=', userId), eb('purpose', '=', purpose), eb('jkt', '=', jkt)]),
          ]),
        )
        .execute();
      await trx
        .insertInto('passkey_challenges')
        .values({
          id,
          user_id: userId,
          purpose,
          challenge,
          jkt,
          expires_at: nowMs + this.#config.challengeTtlSeconds * 1000,
        })
        .execute();
    });
    return id;
  }

  /**
   * Spends a challenge: found only when issued to this account, device key and purpose; deleted
   * by exactly one caller, so two nodes cannot both accept it. Undefined when unknown, spent or
   * expired.
   */
  async #consume(
    by: { id: string } | { challenge: string },
    userId: string,
    purpose: 'registration' | 'authentication',
    jkt: string,
  ): Promise<{ challenge: string } | undefined> {
    const row = await this.#db
      .selectFrom('passkey_challenges')
      .select(['id', 'challenge', 'expires_at'])
      .where((eb) => ('id' in by ? eb('id', '=', by.id) : eb('challenge', '=', by.challenge)))
      .where('user_id', '=', userId)
      .where('purpose', '=', purpose)
      .where('jkt', '=', jkt)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const res = await this.#db.deleteFrom('passkey_challenges').where('id', '=', row.id).executeTakeFirst();
    if (Number(res.numDeletedRows) !== 1) return undefined;
    if (Number(row.expires_at) <= this.#now().getTime()) return undefined;
    return { challenge: row.challenge };
  }
}

/** What {@link resetPasskeys} did. */
export interface PasskeyReset {
  readonly userId: string;
  readonly username: string;
  readonly passkeysRemoved: number;
  readonly sessionsEnded: number;
}

/**
 * Recovery when an account's passkeys are lost (`bulwark admin passkeys reset`, run on the
 * server): removes every passkey and pending challenge of the account and ends all its sessions,
 * in one transaction, and records a `passkeys_reset` event. The account then signs in with its
 * password alone until it registers a new passkey. Undefined when there is no such account.
 *
 * @example
 * ```ts
 * const reset = await resetPasskeys(db, events, 'admin', () => new Date());
 * if (reset) console.log(`${reset.passkeysRemoved} passkey(s) removed`);
 * ```
 */
export async function resetPasskeys(
  db: Kysely<Database>,
  events: SecurityEventLog,
  username: string,
  now: () => Date,
): Promise<PasskeyReset | undefined> {
  const user = await findUserByUsername(db, username);
  if (user === undefined) return undefined;
  const { passkeysRemoved, sessionsEnded } = await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('passkey_challenges').where('user_id', '=', user.id).execute();
    const removed = await trx.deleteFrom('passkeys').where('user_id', '=', user.id).executeTakeFirst();
    const ended = await trx
      .updateTable('sessions')
      .set({ revoked_at: now().getTime(), revoked_reason: 'passkeys_reset' })
      .where('user_id', '=', user.id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return { passkeysRemoved: Number(removed.numDeletedRows), sessionsEnded: Number(ended.numUpdatedRows) };
  });
  await events.append({
    type: 'passkeys_reset',
    subject: user.id,
    data: { username: user.username, passkeysRemoved, sessionsEnded, by: 'server_command' },
  });
  return { userId: user.id, username: user.username, passkeysRemoved, sessionsEnded };
}

function passkeyView(row: PasskeysTable): PasskeyView {
  return {
    id: row.id,
    name: row.name,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    ...(row.last_used_at === null ? {} : { lastUsedAt: new Date(Number(row.last_used_at)).toISOString() }),
    backedUp: row.backed_up === 1,
  };
}

function parseTransports(json: string): AuthenticatorTransportFuture[] {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value)
    ? (value.filter((t) => typeof t === 'string') as AuthenticatorTransportFuture[])
    : [];
}

/** The challenge a registration answers, read from its clientDataJSON; undefined when unreadable. */
function challengeOf(clientDataJSON: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const challenge = (parsed as { challenge?: unknown }).challenge;
    return typeof challenge === 'string' && challenge.length > 0 && challenge.length <= 100
      ? challenge
      : undefined;
  } catch {
    return undefined;
  }
}
