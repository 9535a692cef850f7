/**
 * Device attestation as a service of the server: single-use short-lived challenges, the
 * verification of submitted evidence into one {@link Verdict} stored with the device, step-up
 * assertions, and the policy decision for a route, each outcome logged as a security event.
 * docs/attestation.md describes the protocol.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { SecurityEventLog, SecurityEventType } from '../events/log.js';
import { HttpProblem } from '../http/problem.js';
import { verifyAndroidAssertion, verifyAndroidKeyAttestation } from './android/key-attestation.js';
import { RevocationList } from './android/revocation.js';
import { verifyAppAssertion, verifyAppAttestation } from './apple/app-attest.js';
import type { AttestationOptions } from './config.js';
import { AttestationError } from './errors.js';
import { sha256 } from './lib/bytes.js';
import { verifyPlayIntegrity } from './play-integrity.js';
import { decideIntegrity, type IntegrityDecision } from './policy.js';
import type { Verdict, VerdictFacts } from './verdict.js';
import { verdictClass } from './verdict.js';

/** Evidence a device submits, by kind. Binary values are base64. */
export type Evidence =
  | { readonly kind: 'app_attest'; readonly keyId: string; readonly attestation: string }
  | { readonly kind: 'android_key'; readonly chain: readonly string[] }
  | { readonly kind: 'play_integrity'; readonly token: string }
  | { readonly kind: 'none'; readonly reason: 'pwa' | 'emulator' | 'unsupported' };

/** Who submits: the authenticated device. */
export interface AttestingDevice {
  readonly userId: string;
  readonly deviceId: string;
  readonly jkt: string;
  readonly ip?: string | null;
}

/** A challenge as the device receives it. */
export interface IssuedChallenge {
  readonly challengeId: string;
  readonly challenge: string;
  /** What the device's evidence must be bound to: `<challenge>.<device key thumbprint>`. */
  readonly clientData: string;
  readonly expiresAt: string;
}

/**
 * The value the evidence binds: the challenge and the DPoP key thumbprint, so that evidence
 * obtained for one device key cannot be submitted by another.
 *
 * @example
 * ```ts
 * clientDataOf('q9…', jkt); // 'q9….<jkt>'
 * ```
 */
export function clientDataOf(challenge: string, jkt: string): string {
  return `${challenge}.${jkt}`;
}

/** The Play Integrity request hash of a client data string (base64url SHA-256, no padding). */
export function requestHashOf(clientData: string): string {
  return sha256(Buffer.from(clientData, 'utf8')).toString('base64url');
}

const b64 = (value: string) => new Uint8Array(Buffer.from(value, 'base64'));

/**
 * Attestation of one server.
 *
 * @example
 * ```ts
 * const attestation = new AttestationService(db, options, now, events);
 * const challenge = await attestation.issueChallenge(device, 'attest');
 * ```
 */
export class AttestationService {
  readonly #revocations: RevocationList | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    readonly options: AttestationOptions,
    private readonly now: () => Date,
    private readonly events: SecurityEventLog,
  ) {
    this.#revocations =
      options.android === undefined
        ? undefined
        : new RevocationList(options.android.revocation, () => this.now().getTime());
  }

  get #recheckSeconds(): number {
    return this.options.policy?.recheckSeconds ?? 86_400;
  }

  /** Hands the device a new single-use challenge. */
  async issueChallenge(device: AttestingDevice, purpose: 'attest' | 'assert'): Promise<IssuedChallenge> {
    const nowMs = this.now().getTime();
    const expiresAt = nowMs + (this.options.challengeTtlSeconds ?? 300) * 1000;
    const row = {
      id: randomUUID(),
      device_id: device.deviceId,
      purpose,
      challenge: randomBytes(32).toString('base64url'),
      expires_at: expiresAt,
    };
    // Rows expired for an hour are swept; a recently expired one stays to be told apart from a replay.
    await this.db
      .deleteFrom('attestation_challenges')
      .where('expires_at', '<', nowMs - 3_600_000)
      .execute();
    await this.db.insertInto('attestation_challenges').values(row).execute();
    return {
      challengeId: row.id,
      challenge: row.challenge,
      clientData: clientDataOf(row.challenge, device.jkt),
      expiresAt: new Date(expiresAt).toISOString(),
    };
  }

  /**
   * Uses a challenge up: it must be this device's, for this purpose, unexpired and unused. The
   * row is deleted before anything is verified, so a second use finds nothing.
   */
  async #consume(
    device: AttestingDevice,
    challengeId: string,
    purpose: 'attest' | 'assert',
  ): Promise<string> {
    const row = await this.db
      .selectFrom('attestation_challenges')
      .selectAll()
      .where('id', '=', challengeId)
      .where('device_id', '=', device.deviceId)
      .where('purpose', '=', purpose)
      .executeTakeFirst();
    const deleted =
      row === undefined
        ? 0
        : Number(
            (await this.db.deleteFrom('attestation_challenges').where('id', '=', row.id).executeTakeFirst())
              .numDeletedRows,
          );
    if (row === undefined || deleted !== 1) {
      throw new HttpProblem(
        400,
        'attestation_challenge_unknown',
        'Unknown or already used challenge; ask for a new one.',
      );
    }
    if (Number(row.expires_at) <= this.now().getTime()) {
      throw new HttpProblem(
        400,
        'attestation_challenge_expired',
        'The challenge has expired; ask for a new one.',
      );
    }
    return clientDataOf(row.challenge, device.jkt);
  }

  /** The stored verdict of a device, if any. */
  async verdictOf(deviceId: string): Promise<Verdict | undefined> {
    const row = await this.db
      .selectFrom('device_attestations')
      .selectAll()
      .where('device_id', '=', deviceId)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      kind: row.kind as Verdict['kind'],
      status: row.status as Verdict['status'],
      ...(row.failure === null ? {} : { failure: row.failure as NonNullable<Verdict['failure']> }),
      ...(row.environment === null ? {} : { environment: row.environment as 'production' | 'development' }),
      facts: JSON.parse(row.facts) as VerdictFacts,
      checkedAt: Number(row.checked_at),
    };
  }

  async #verify(evidence: Evidence, clientData: string, nowMs: number) {
    const data = Buffer.from(clientData, 'utf8');
    switch (evidence.kind) {
      case 'app_attest': {
        const config = this.options.apple;
        if (config === undefined)
          throw new AttestationError('attestation_not_configured', 'App Attest is not set up.');
        const key = await verifyAppAttestation(
          config,
          { attestation: b64(evidence.attestation), keyId: evidence.keyId, clientDataHash: sha256(data) },
          nowMs,
        );
        return {
          environment: key.environment,
          facts: { keyId: key.keyId, bundleId: config.bundleId },
          keyId: key.keyId,
          publicKey: key.publicKey,
        };
      }
      case 'android_key': {
        const config = this.options.android;
        if (config === undefined || this.#revocations === undefined) {
          throw new AttestationError('attestation_not_configured', 'Android key attestation is not set up.');
        }
        const key = await verifyAndroidKeyAttestation(
          config,
          this.#revocations,
          { chain: evidence.chain.map(b64), clientData: data },
          nowMs,
        );
        return {
          facts: {
            securityLevel: key.securityLevel,
            verifiedBootState: key.verifiedBootState,
            deviceLocked: key.deviceLocked,
            packageName: key.packageName,
            attestationVersion: key.attestationVersion,
          },
          publicKey: key.publicKey,
        };
      }
      case 'play_integrity': {
        const config = this.options.playIntegrity;
        if (config === undefined)
          throw new AttestationError('attestation_not_configured', 'Play Integrity is not set up.');
        const verdict = await verifyPlayIntegrity(config, evidence.token, requestHashOf(clientData), nowMs);
        return {
          facts: {
            packageName: verdict.packageName,
            appRecognitionVerdict: verdict.appRecognitionVerdict,
            deviceRecognitionVerdict: verdict.deviceRecognitionVerdict,
            ...(verdict.licensingVerdict === undefined ? {} : { licensingVerdict: verdict.licensingVerdict }),
          },
        };
      }
      default:
        return { facts: { reason: evidence.reason } };
    }
  }

  /**
   * Verifies evidence bound to a challenge and stores the verdict with the device (a failure is
   * stored too: the device's last evidence failed). A device that once had hardware evidence
   * cannot fall back to declaring none (409 `attestation_downgrade`).
   */
  async submit(device: AttestingDevice, challengeId: string, evidence: Evidence): Promise<Verdict> {
    const clientData = await this.#consume(device, challengeId, 'attest');
    const nowMs = this.now().getTime();
    const previous = await this.verdictOf(device.deviceId);
    if (evidence.kind === 'none' && previous !== undefined && previous.kind !== 'none') {
      throw new HttpProblem(
        409,
        'attestation_downgrade',
        'This device attested with hardware before; send its evidence.',
      );
    }
    let verdict: Verdict;
    let key: { keyId?: string; publicKey?: Uint8Array } = {};
    try {
      const result = await this.#verify(evidence, clientData, nowMs);
      verdict = {
        kind: evidence.kind,
        status: evidence.kind === 'none' ? 'unavailable' : 'verified',
        ...('environment' in result ? { environment: result.environment } : {}),
        facts: result.facts,
        checkedAt: nowMs,
      };
      key = result as typeof key;
    } catch (err) {
      if (!(err instanceof AttestationError)) throw err;
      verdict = { kind: evidence.kind, status: 'failed', failure: err.code, facts: {}, checkedAt: nowMs };
    }
    const row = {
      kind: verdict.kind,
      status: verdict.status,
      failure: verdict.failure ?? null,
      environment: verdict.environment ?? null,
      facts: JSON.stringify(verdict.facts),
      key_id: key.keyId ?? null,
      public_key: key.publicKey === undefined ? null : Buffer.from(key.publicKey).toString('base64'),
      counter: 0,
      checked_at: nowMs,
    };
    // A failed submission keeps the attested key of an earlier success: the key is still the
    // one that step-up assertions must come from.
    const keep =
      verdict.status === 'failed' ? { key_id: undefined, public_key: undefined, counter: undefined } : {};
    if (previous === undefined) {
      await this.db
        .insertInto('device_attestations')
        .values({ device_id: device.deviceId, ...row })
        .execute();
    } else {
      const update = Object.fromEntries(
        Object.entries({ ...row, ...keep }).filter(([, v]) => v !== undefined),
      ) as Partial<typeof row>;
      await this.db
        .updateTable('device_attestations')
        .set(update)
        .where('device_id', '=', device.deviceId)
        .execute();
    }
    await this.#log(
      verdict.status === 'failed' ? 'device_attestation_failed' : 'device_attestation_verified',
      device,
      {
        kind: verdict.kind,
        status: verdict.status,
        ...(verdict.failure === undefined ? {} : { failure: verdict.failure }),
        ...(verdict.environment === undefined ? {} : { environment: verdict.environment }),
      },
    );
    return verdict;
  }

  /**
   * Verifies a step-up assertion: an App Attest assertion, a signature by the attested Android
   * key, or a fresh Play Integrity token, bound to an `assert` challenge. A success counts as a
   * re-check (the verdict's time moves on); a failure throws 403 `device_integrity_step_up_failed`.
   */
  async assert(device: AttestingDevice, challengeId: string, assertion: string): Promise<void> {
    const clientData = await this.#consume(device, challengeId, 'assert');
    const row = await this.db
      .selectFrom('device_attestations')
      .selectAll()
      .where('device_id', '=', device.deviceId)
      .executeTakeFirst();
    const nowMs = this.now().getTime();
    const data = Buffer.from(clientData, 'utf8');
    let counter = row === undefined ? 0 : Number(row.counter);
    try {
      if (row === undefined || row.status === 'failed' || row.kind === 'none') {
        throw new AttestationError('attestation_signature_invalid', 'The device has no attested key.');
      }
      if (row.kind === 'app_attest' && row.public_key !== null && this.options.apple !== undefined) {
        counter = verifyAppAssertion(this.options.apple, {
          assertion: b64(assertion),
          clientData: data,
          publicKey: b64(row.public_key),
          previousCounter: counter,
        });
      } else if (row.kind === 'android_key' && row.public_key !== null) {
        verifyAndroidAssertion({
          signature: b64(assertion),
          clientData: data,
          publicKey: b64(row.public_key),
        });
      } else if (row.kind === 'play_integrity' && this.options.playIntegrity !== undefined) {
        await verifyPlayIntegrity(this.options.playIntegrity, assertion, requestHashOf(clientData), nowMs);
      } else {
        throw new AttestationError('attestation_not_configured', 'This kind of evidence is not set up.');
      }
    } catch (err) {
      if (!(err instanceof AttestationError)) throw err;
      await this.#log('device_integrity_step_up_failed', device, { failure: err.code });
      throw new HttpProblem(403, 'device_integrity_step_up_failed', 'The fresh assertion was not accepted.', {
        cause: err,
      });
    }
    // The counter only moves forward, even when two assertions race.
    const updated = await this.db
      .updateTable('device_attestations')
      .set({ counter, checked_at: nowMs })
      .where('device_id', '=', device.deviceId)
      .where('counter', row.kind === 'app_attest' ? '<' : '<=', counter)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) {
      await this.#log('device_integrity_step_up_failed', device, { failure: 'attestation_counter_invalid' });
      throw new HttpProblem(403, 'device_integrity_step_up_failed', 'The fresh assertion was not accepted.');
    }
  }

  /** The policy's decision for a device on a route. */
  async decide(deviceId: string, route: string): Promise<IntegrityDecision> {
    const verdict = await this.verdictOf(deviceId);
    const policy = this.options.policy ?? {};
    return decideIntegrity(policy, verdictClass(verdict, this.now().getTime(), this.#recheckSeconds), route);
  }

  /** Appends a security event about a device. */
  async #log(type: SecurityEventType, device: AttestingDevice, data: Record<string, unknown>): Promise<void> {
    await this.events.append({
      type,
      actorUserId: device.userId,
      actorDeviceId: device.deviceId,
      subject: device.deviceId,
      ip: device.ip ?? null,
      data,
    });
  }

  /** Logs a policy decision that was not a plain allow. */
  async logDecision(device: AttestingDevice, route: string, decision: IntegrityDecision): Promise<void> {
    if (decision.action === 'allow') return;
    const type: SecurityEventType =
      decision.mode === 'audit'
        ? 'device_integrity_audit'
        : decision.effective === 'refuse'
          ? 'device_integrity_refused'
          : decision.effective === 'warn'
            ? 'device_integrity_warned'
            : 'device_integrity_step_up';
    await this.#log(type, device, { route, verdict: decision.verdict, action: decision.action });
  }
}
