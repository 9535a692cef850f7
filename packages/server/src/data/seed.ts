/**
 * Seeding: the `seed` hook of `bulwark.config.ts`, run once, on the first start of a database
 * (when the first admin is created), to fill a demo or a test installation. Accounts get
 * generated passwords (never one written in a repository); records go through the data API's own
 * write path, so they are validated by the schema, authorized by the rules as the account that
 * creates them, and shaped by the collection's hooks. docs/operations.md#seeding.
 */
import { randomInt } from 'node:crypto';
import { BulwarkError } from '@bulwark/core';
import type { ServerContext } from '../context.js';
import type { Role } from '../db/schema.js';
import { createUser } from '../identity/users.js';
import { createRecord } from './write.js';

/** An account the seed created. */
export interface SeedUser {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly teams: readonly string[];
}

/** An account to print once, with its generated password. */
export interface SeededAccount {
  readonly username: string;
  readonly password: string;
  readonly role: Role;
  readonly teams: readonly string[];
  /** The account must change this password at its first sign-in. */
  readonly oneTime: boolean;
}

/** What a seed may create. */
export interface SeedApi {
  /**
   * Creates an account with a generated password, in `teams`. By default the password is shown
   * once by `bulwark serve` (`print: false` to keep it quiet) and is not one-time (`oneTime: true`
   * makes the account change it at its first sign-in).
   */
  user(input: {
    readonly username: string;
    readonly role?: Role;
    readonly teams?: readonly string[];
    readonly oneTime?: boolean;
    readonly print?: boolean;
  }): Promise<SeedUser>;
  /**
   * Creates a record as `as`, through the API's write path (schema, rules, hooks). `serverOnly`
   * sets serverOnly fields, which no client may send; they are validated as server data.
   * Any refusal throws a {@link SeedError}.
   */
  create(
    collection: string,
    fields: Readonly<Record<string, unknown>>,
    options: { readonly as: SeedUser; readonly serverOnly?: Readonly<Record<string, unknown>> },
  ): Promise<{ readonly id: string }>;
  /** The server clock at the start of seeding. */
  readonly now: Date;
}

/**
 * The `seed` hook of a configuration.
 *
 * @example
 * ```ts
 * const seed: Seed = async ({ user, create }) => {
 *   const ada = await user({ username: 'ada', teams: ['north'] });
 *   await create('notes', { text: 'hello' }, { as: ada });
 * };
 * ```
 */
export type Seed = (api: SeedApi) => Promise<void>;

/** The seed hook failed (a refused record, a taken username): the configuration has a bug. */
export class SeedError extends BulwarkError<'seed_failed'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('seed_failed', message, options);
  }
}

/** What a seed did. */
export interface SeedResult {
  /** Accounts to print, in creation order. */
  readonly accounts: readonly SeededAccount[];
  readonly users: number;
  readonly records: number;
}

/** No 0/O, 1/l/I: read from a terminal and typed on a phone. */
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** 16 random characters in groups of four: 80 bits, e.g. `k7vq-2mxa-p9td-ewh3`. */
function generatePassword(): string {
  const groups: string[] = [];
  for (let g = 0; g < 4; g += 1) {
    let group = '';
    for (let i = 0; i < 4; i += 1) group += ALPHABET[randomInt(ALPHABET.length)];
    groups.push(group);
  }
  return groups.join('-');
}

/**
 * Runs `seed` against the server's database. Called by `startServer` right after it created the
 * first admin, so it runs on the first start of a database only.
 *
 * @example
 * ```ts
 * const result = await runSeed(ctx, config.seed);
 * for (const a of result.accounts) console.log(a.username, a.password);
 * ```
 */
export async function runSeed(ctx: ServerContext, seed: Seed): Promise<SeedResult> {
  const data = ctx.data;
  if (data === undefined) throw new SeedError('a seed needs the data configuration it belongs to');
  const accounts: SeededAccount[] = [];
  let users = 0;
  let records = 0;
  const api: SeedApi = {
    now: ctx.now(),
    async user(input) {
      const role = input.role ?? 'user';
      const teams = [...new Set(input.teams ?? [])];
      for (const team of teams) {
        if (typeof team !== 'string' || team.length < 1 || team.length > 100)
          throw new SeedError(`seed: a team name is 1 to 100 characters (user ${input.username})`);
      }
      const password = generatePassword();
      const oneTime = input.oneTime === true;
      let row: Awaited<ReturnType<typeof createUser>>;
      try {
        row = await createUser(
          { db: ctx.db, passwords: ctx.passwords, rules: ctx.config.passwords, now: ctx.now },
          { username: input.username, password, role, mustChangePassword: oneTime },
        );
      } catch (err) {
        throw new SeedError(`seed: cannot create user ${input.username}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      if (teams.length > 0) {
        await ctx.db
          .insertInto('user_teams')
          .values(teams.map((team) => ({ user_id: row.id, team })))
          .execute();
      }
      await ctx.events.append({
        type: 'user_created',
        subject: row.id,
        data: { username: row.username, role, teams, seeded: true },
      });
      users += 1;
      if (input.print !== false) accounts.push({ username: row.username, password, role, teams, oneTime });
      return { id: row.id, username: row.username, role, teams };
    },
    async create(collection, fields, options) {
      const model = data.model.collections.get(collection);
      if (model === undefined) throw new SeedError(`seed: no collection ${collection}`);
      const serverOnly = options.serverOnly ?? {};
      for (const key of Object.keys(serverOnly)) {
        const node = model.collection.node.entries.find(([name]) => name === key)?.[1];
        if (node?.cls !== 'serverOnly')
          throw new SeedError(`seed: ${collection}.${key} is not a serverOnly field`);
      }
      const hook = model.hooks.beforeWrite;
      const outcome = await createRecord(
        {
          ctx,
          // The serverOnly values are added after the collection's own hook, and the write path
          // then validates the whole record as server data.
          model: {
            ...model,
            hooks: {
              ...model.hooks,
              async beforeWrite(event) {
                const decision = hook === undefined ? undefined : await hook(event);
                if (decision !== undefined && decision !== null && 'issues' in decision) return decision;
                const record = decision?.record ?? event.record;
                return Object.keys(serverOnly).length === 0
                  ? decision
                  : { record: { ...record, ...serverOnly } };
              },
            },
          },
          claims: {
            userId: options.as.id,
            username: options.as.username,
            role: options.as.role,
            teams: [...options.as.teams].sort(),
          },
          deviceId: 'seed',
        },
        structuredClone(fields),
      ).catch((err: unknown) => {
        throw new SeedError(`seed: ${collection} record refused: ${(err as Error).message}`, { cause: err });
      });
      if (outcome.kind !== 'applied') {
        const reasons =
          outcome.kind === 'rejected'
            ? [outcome.code, ...(outcome.issues ?? []).map((i) => `${i.path} ${i.code}`)].join(', ')
            : 'conflict';
        throw new SeedError(`seed: ${collection} record refused as ${options.as.username}: ${reasons}`);
      }
      records += 1;
      return { id: outcome.record.id };
    },
  };
  await seed(api);
  await ctx.events.append({ type: 'seeded', data: { users, records } });
  return { accounts, users, records };
}
