/**
 * Schema migrations, kept in code so the server has no files to find at run time. Each one is
 * written once and never edited after release; a change is a new migration. Only types and
 * statements that SQLite and PostgreSQL both accept are used (bigint, integer, varchar, text).
 */
import { type Kysely, type Migration, type MigrationProvider, PostgresAdapter, sql } from 'kysely';
import { attestationMigration } from '../attestation/tables.js';

const migrations: Record<string, Migration> = {
  '0001_meta': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('bulwark_meta')
        .addColumn('key', 'varchar(100)', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(40)', (c) => c.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
        .execute();
    },
  },
  '0002_identity': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('users')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('username', 'varchar(200)', (c) => c.notNull())
        .addColumn('username_key', 'varchar(200)', (c) => c.notNull().unique())
        .addColumn('password_hash', 'varchar(200)', (c) => c.notNull())
        .addColumn('role', 'varchar(20)', (c) => c.notNull())
        .addColumn('must_change_password', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('disabled_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('password_changed_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('devices')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id'))
        .addColumn('jkt', 'varchar(64)', (c) => c.notNull())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        .addColumn('platform', 'varchar(40)', (c) => c.notNull())
        .addColumn('os_version', 'varchar(40)', (c) => c.notNull())
        .addColumn('app_version', 'varchar(40)', (c) => c.notNull())
        .addColumn('posture', 'text', (c) => c.notNull())
        .addColumn('policy_findings', 'text', (c) => c.notNull())
        .addColumn('status', 'varchar(20)', (c) => c.notNull())
        .addColumn('revoked_reason', 'varchar(40)')
        .addColumn('enrolled_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('wiped_at', 'bigint')
        .execute();
      await db.schema.createIndex('devices_user').on('devices').column('user_id').execute();
      await db.schema
        .createTable('sessions')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id'))
        .addColumn('device_id', 'varchar(36)', (c) => c.notNull().references('devices.id'))
        .addColumn('jkt', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('last_refresh_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('revoked_reason', 'varchar(40)')
        .execute();
      await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
      await db.schema.createIndex('sessions_device').on('sessions').column('device_id').execute();
      await db.schema
        .createTable('refresh_tokens')
        .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('session_id', 'varchar(36)', (c) => c.notNull().references('sessions.id'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('refresh_tokens_session')
        .on('refresh_tokens')
        .column('session_id')
        .execute();
      await db.schema
        .createTable('server_keys')
        .addColumn('kid', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('alg', 'varchar(10)', (c) => c.notNull())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        .addColumn('private_jwk', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('retired_at', 'bigint')
        .execute();
      await db.schema
        .createTable('audit_events')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('at', 'varchar(40)', (c) => c.notNull())
        .addColumn('type', 'varchar(60)', (c) => c.notNull())
        .addColumn('actor_user_id', 'varchar(36)')
        .addColumn('actor_device_id', 'varchar(36)')
        .addColumn('subject', 'varchar(200)')
        .addColumn('ip', 'varchar(64)')
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('hash', 'varchar(64)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_events_type').on('audit_events').column('type').execute();
      await db.schema
        .createTable('audit_head')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('hash', 'varchar(64)', (c) => c.notNull())
        .execute();
      await db
        .insertInto('audit_head' as never)
        .values({ id: 1, seq: 0, hash: '0'.repeat(64) } as never)
        .execute();
    },
  },
  '0003_data': {
    async up(db: Kysely<unknown>): Promise<void> {
      // Rule attributes are queried with JSON operators: jsonb on PostgreSQL, JSON text on SQLite.
      const json = db.getExecutor().adapter instanceof PostgresAdapter ? 'jsonb' : 'text';
      await db.schema
        .createTable('records')
        .addColumn('collection', 'varchar(63)', (c) => c.notNull())
        .addColumn('id', 'varchar(36)', (c) => c.notNull())
        .addColumn('owner', 'varchar(36)', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('deleted_at', 'bigint')
        .addColumn('data', 'text')
        .addColumn('device', 'text')
        .addColumn('attrs', json, (c) => c.notNull())
        .addPrimaryKeyConstraint('records_pk', ['collection', 'id'])
        .execute();
      await db.schema.createIndex('records_seq').on('records').column('seq').unique().execute();
      await db.schema.createIndex('records_owner').on('records').columns(['collection', 'owner']).execute();
      await db.schema
        .createIndex('records_created')
        .on('records')
        .columns(['collection', 'created_at', 'id'])
        .execute();
      await db.schema
        .createTable('sync_notices')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('collection', 'varchar(63)', (c) => c.notNull())
        .addColumn('record_id', 'varchar(36)', (c) => c.notNull())
        .addColumn('owner', 'varchar(36)', (c) => c.notNull())
        .addColumn('attrs', json, (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('sync_counter')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .execute();
      await db
        .insertInto('sync_counter' as never)
        .values({ id: 1, seq: 0 } as never)
        .execute();
      await db.schema
        .createTable('sync_mutations')
        .addColumn('device_id', 'varchar(36)', (c) => c.notNull())
        .addColumn('mutation_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('result', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('sync_mutations_pk', ['device_id', 'mutation_id'])
        .execute();
      await db.schema
        .createIndex('sync_mutations_created')
        .on('sync_mutations')
        .column('created_at')
        .execute();
      await db.schema
        .createTable('user_teams')
        .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id'))
        .addColumn('team', 'varchar(100)', (c) => c.notNull())
        .addPrimaryKeyConstraint('user_teams_pk', ['user_id', 'team'])
        .execute();
    },
  },
  '0004_console_admin': {
    async up(db: Kysely<unknown>): Promise<void> {
      // The device policy admins edit (one row, id 1); without it the configured policy applies.
      await db.schema
        .createTable('device_policy')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('policy', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_by', 'varchar(36)')
        .execute();
      // A name the user gave the device (shown to admins); optional, older devices have none.
      await db.schema.alterTable('devices').addColumn('name', 'varchar(100)').execute();
      // The console pages and filters these lists.
      await db.schema.createIndex('users_created').on('users').columns(['created_at', 'id']).execute();
      await db.schema.createIndex('devices_enrolled').on('devices').columns(['enrolled_at', 'id']).execute();
      await db.schema
        .createIndex('audit_events_actor_user')
        .on('audit_events')
        .column('actor_user_id')
        .execute();
      await db.schema
        .createIndex('audit_events_actor_device')
        .on('audit_events')
        .column('actor_device_id')
        .execute();
      await db.schema.createIndex('audit_events_subject').on('audit_events').column('subject').execute();
    },
  },
  '0004_passkeys': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('passkeys')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id'))
        // base64url of at most 1,023 bytes (WebAuthn's limit on a credential id).
        .addColumn('credential_id', 'varchar(1400)', (c) => c.notNull().unique())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('counter', 'bigint', (c) => c.notNull())
        .addColumn('transports', 'text', (c) => c.notNull())
        .addColumn('name', 'varchar(100)', (c) => c.notNull())
        .addColumn('device_type', 'varchar(20)', (c) => c.notNull())
        .addColumn('backed_up', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .execute();
      await db.schema.createIndex('passkeys_user').on('passkeys').column('user_id').execute();
      await db.schema
        .createTable('passkey_challenges')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id'))
        .addColumn('purpose', 'varchar(20)', (c) => c.notNull())
        .addColumn('challenge', 'varchar(100)', (c) => c.notNull().unique())
        .addColumn('jkt', 'varchar(64)', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('passkey_challenges_user')
        .on('passkey_challenges')
        .columns(['user_id', 'purpose', 'jkt'])
        .execute();
    },
  },
  '0005_attestation': attestationMigration,
  '0005_federation': {
    async up(db: Kysely<unknown>): Promise<void> {
      // Federated identities linked to accounts, keyed by (issuer, subject): identity/federation/.
      await db.schema
        .createTable('federated_accounts')
        .addColumn('issuer', 'varchar(500)', (c) => c.notNull())
        .addColumn('subject', 'varchar(255)', (c) => c.notNull())
        .addColumn('provider_id', 'varchar(40)', (c) => c.notNull())
        .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_login_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('federated_accounts_pk', ['issuer', 'subject'])
        .execute();
      await db.schema
        .createIndex('federated_accounts_user')
        .on('federated_accounts')
        .column('user_id')
        .execute();
      // Outstanding OIDC authorization and SAML authentication requests, single use, bound to
      // the device key that started them; `id` is SHA-256 of the state or request id.
      await db.schema
        .createTable('federation_requests')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('provider_id', 'varchar(40)', (c) => c.notNull())
        .addColumn('jkt', 'varchar(64)', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      // SAML assertion ids already accepted (SHA-256 of issuer and id), kept until they expire.
      await db.schema
        .createTable('saml_assertions_seen')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      // SSO across apps: the app a session belongs to (none for a session of no registered app),
      // and which roles and teams may use each app, as admins last set it.
      await db.schema
        .createTable('app_sessions')
        .addColumn('session_id', 'varchar(36)', (c) => c.primaryKey().references('sessions.id'))
        .addColumn('app_id', 'varchar(40)', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('app_assignments')
        .addColumn('app_id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('roles', 'text', (c) => c.notNull())
        .addColumn('teams', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_by', 'varchar(36)')
        .execute();
    },
  },
  '0005_record_keys': {
    async up(db: Kysely<unknown>): Promise<void> {
      // Filled at start-up from the live records (data/reproject.ts), then kept by every write.
      await db.schema
        .createTable('record_keys')
        .addColumn('collection', 'varchar(63)', (c) => c.notNull())
        .addColumn('field', 'varchar(63)', (c) => c.notNull())
        .addColumn('value', 'varchar(200)', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('record_keys_pk', ['collection', 'field', 'value', 'seq'])
        .execute();
      await db.schema.createIndex('record_keys_seq').on('record_keys').column('seq').execute();
    },
  },
  '0005_sign_in_start_bounds': {
    async up(db: Kysely<unknown>): Promise<void> {
      // Every sign-in start sweeps expired outstanding requests and counts the live ones
      // (identity/federation/tables.ts): both by expiry, without reading the whole table.
      await db.schema
        .createIndex('federation_requests_expiry')
        .on('federation_requests')
        .column('expires_at')
        .execute();
    },
  },
};

/** Provides the migrations above to Kysely's Migrator, in name order. */
export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
