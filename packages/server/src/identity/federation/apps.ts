/**
 * Apps registered for SSO and the app catalog: who may use each app (roles and teams, from the
 * configuration until an admin sets them), which app a session belongs to (remembered per
 * session: it never changes), and the collections an app's sessions may touch.
 */
import type { Kysely } from 'kysely';
import type { Database, Role } from '../../db/schema.js';
import { HttpProblem } from '../../http/problem.js';
import { LruMap } from '../../lib/lru.js';
import type { FederationConfig, RegisteredAppOptions } from './config.js';
import { federationDb } from './tables.js';

/** Who may use an app. */
export interface AppAssignment {
  readonly roles: Role[];
  readonly teams: string[];
  /** `admin` once an admin set it, `config` before. */
  readonly source: 'config' | 'admin';
}

/**
 * The registered apps, their assignments and the app of each session.
 *
 * @example
 * ```ts
 * const apps = new AppRegistry(db, config.federation);
 * const mine = await apps.catalog('user', ['north']);
 * ```
 */
export class AppRegistry {
  readonly #db: Kysely<Database>;
  readonly #config: FederationConfig;
  readonly #sessionApps = new LruMap<string, string | null>(10_000);

  constructor(db: Kysely<Database>, config: FederationConfig) {
    this.#db = db;
    this.#config = config;
  }

  /** The registered app `id`, or 404 `app_unknown`. */
  app(id: string): RegisteredAppOptions {
    const app = this.#config.apps.get(id);
    if (app === undefined) throw new HttpProblem(404, 'app_unknown', `No app "${id}" is registered.`);
    return app;
  }

  /** Every registered app. */
  all(): RegisteredAppOptions[] {
    return [...this.#config.apps.values()];
  }

  /** Who may use `app`. */
  async assignment(app: RegisteredAppOptions): Promise<AppAssignment> {
    const row = await federationDb(this.#db)
      .selectFrom('app_assignments')
      .selectAll()
      .where('app_id', '=', app.id)
      .executeTakeFirst();
    if (row !== undefined) {
      return {
        roles: JSON.parse(row.roles) as Role[],
        teams: JSON.parse(row.teams) as string[],
        source: 'admin',
      };
    }
    return {
      roles: [...(app.assignedTo?.roles ?? [])],
      teams: [...(app.assignedTo?.teams ?? [])],
      source: 'config',
    };
  }

  /** Replaces who may use `app`. */
  async assign(
    app: RegisteredAppOptions,
    roles: readonly Role[],
    teams: readonly string[],
    by: string,
    nowMs: number,
  ) {
    const values = {
      roles: JSON.stringify([...new Set(roles)].sort()),
      teams: JSON.stringify([...new Set(teams)].sort()),
      updated_at: nowMs,
      updated_by: by,
    };
    await federationDb(this.#db)
      .insertInto('app_assignments')
      .values({ app_id: app.id, ...values })
      .onConflict((oc) => oc.column('app_id').doUpdateSet(values))
      .execute();
  }

  /** Whether a user of `role` in `teams` may use `app`. */
  async allowed(app: RegisteredAppOptions, role: Role, teams: readonly string[]): Promise<boolean> {
    const a = await this.assignment(app);
    return a.roles.includes(role) || a.teams.some((t) => teams.includes(t));
  }

  /** The apps a user of `role` in `teams` may use. */
  async catalog(role: Role, teams: readonly string[]): Promise<RegisteredAppOptions[]> {
    const out: RegisteredAppOptions[] = [];
    for (const app of this.all()) if (await this.allowed(app, role, teams)) out.push(app);
    return out;
  }

  /** The teams of a user. */
  async teamsOf(userId: string): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('user_teams')
      .select('team')
      .where('user_id', '=', userId)
      .execute();
    return rows.map((r) => r.team);
  }

  /** Records that `sessionId` belongs to `appId`. */
  async bind(sessionId: string, appId: string, db: Kysely<Database> = this.#db): Promise<void> {
    await federationDb(db)
      .insertInto('app_sessions')
      .values({ session_id: sessionId, app_id: appId })
      .execute();
    this.#sessionApps.set(sessionId, appId);
  }

  /** The app of a session, or null for a session of no registered app. */
  async appOf(sessionId: string): Promise<string | null> {
    const cached = this.#sessionApps.get(sessionId);
    if (cached !== undefined) return cached;
    const row = await federationDb(this.#db)
      .selectFrom('app_sessions')
      .select('app_id')
      .where('session_id', '=', sessionId)
      .executeTakeFirst();
    const appId = row?.app_id ?? null;
    this.#sessionApps.set(sessionId, appId);
    return appId;
  }
}

const registries = new WeakMap<object, AppRegistry>();

/**
 * The registry of a server context (one per context, so its session cache is shared by routes).
 *
 * @example
 * ```ts
 * const apps = appRegistryOf(ctx);
 * ```
 */
export function appRegistryOf(ctx: {
  readonly db: Kysely<Database>;
  readonly config: { readonly federation: FederationConfig };
}): AppRegistry {
  let registry = registries.get(ctx);
  if (registry === undefined) {
    registry = new AppRegistry(ctx.db, ctx.config.federation);
    registries.set(ctx, registry);
  }
  return registry;
}
