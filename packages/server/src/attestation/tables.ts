/**
 * Tables of device attestation (migration `0005_attestation`): the last verdict of each device
 * with the attested key an assertion is checked against, and the single-use challenges.
 */
import type { Kysely, Migration } from 'kysely';

/** The last attestation verdict of a device (one row a device). */
export interface DeviceAttestationsTable {
  device_id: string;
  /** `app_attest`, `android_key`, `play_integrity` or `none`. */
  kind: string;
  /** `verified`, `failed` or `unavailable`. */
  status: string;
  /** The failed step's code, when `failed`. */
  failure: string | null;
  environment: string | null;
  /** What the evidence established (JSON), shown to admins. */
  facts: string;
  /** App Attest key id (base64), when the kind has one. */
  key_id: string | null;
  /** The attested public key (base64 SPKI DER) that assertions are verified with. */
  public_key: string | null;
  /** The last App Attest counter accepted. */
  counter: number;
  checked_at: number;
}

/** Challenges handed to a device; a row is deleted when used, so a challenge works once. */
export interface AttestationChallengesTable {
  id: string;
  device_id: string;
  /** `attest` (evidence) or `assert` (step-up). */
  purpose: string;
  /** base64url of 32 random bytes. */
  challenge: string;
  expires_at: number;
}

/** The tables above, for Kysely. */
export interface AttestationDatabase {
  device_attestations: DeviceAttestationsTable;
  attestation_challenges: AttestationChallengesTable;
}

/** Migration `0005_attestation`. */
export const attestationMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('device_attestations')
      .addColumn('device_id', 'varchar(36)', (c) => c.primaryKey().references('devices.id'))
      .addColumn('kind', 'varchar(20)', (c) => c.notNull())
      .addColumn('status', 'varchar(20)', (c) => c.notNull())
      .addColumn('failure', 'varchar(60)')
      .addColumn('environment', 'varchar(20)')
      .addColumn('facts', 'text', (c) => c.notNull())
      .addColumn('key_id', 'varchar(100)')
      .addColumn('public_key', 'text')
      .addColumn('counter', 'bigint', (c) => c.notNull())
      .addColumn('checked_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('attestation_challenges')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('device_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('purpose', 'varchar(10)', (c) => c.notNull())
      .addColumn('challenge', 'varchar(64)', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('attestation_challenges_expiry')
      .on('attestation_challenges')
      .column('expires_at')
      .execute();
  },
};
