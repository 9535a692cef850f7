/**
 * Queries of the authentication hot path, built and compiled by Kysely once per database
 * instead of once per request. Kysely's builders allocate and freeze an operation tree and
 * compile it to SQL on every call, which costs more than the indexed lookup itself; the SQL of
 * these queries never changes, only their parameters do.
 */
import { type Compilable, type CompiledQuery, createQueryId, type Kysely } from 'kysely';

/** Marks where an argument lands in the compiled parameter list. */
class Slot {
  constructor(readonly index: number) {}
}

/**
 * Wraps a query builder so that it is built and compiled once per Kysely instance (the SQL
 * depends on the dialect); later calls only put the new arguments in place. `build` must use
 * each argument as a value (a compiled parameter), never to choose the shape of the query.
 *
 * @example
 * ```ts
 * const byId = compileOnce((db: Kysely<Database>, id: string) =>
 *   db.selectFrom('devices').select('status').where('id', '=', id),
 * );
 * const { rows } = await db.executeQuery(byId(db, deviceId));
 * ```
 */
export function compileOnce<DB, A extends readonly unknown[], R>(
  build: (db: Kysely<DB>, ...args: A) => Compilable<R>,
): (db: Kysely<DB>, ...args: A) => CompiledQuery<R> {
  const templates = new WeakMap<
    object,
    { sql: string; query: CompiledQuery<R>['query']; slots: unknown[] }
  >();
  return (db, ...args) => {
    let template = templates.get(db);
    if (template === undefined) {
      const markers = args.map((_, i) => new Slot(i));
      const compiled = build(db, ...(markers as unknown as A)).compile();
      const used = new Set<number>();
      for (const p of compiled.parameters) if (p instanceof Slot) used.add(p.index);
      if (used.size !== args.length) {
        throw new Error('compileOnce: the query must use every argument as a parameter value');
      }
      template = { sql: compiled.sql, query: compiled.query, slots: [...compiled.parameters] };
      templates.set(db, template);
    }
    const parameters = template.slots.map((p) => (p instanceof Slot ? args[p.index] : p));
    return { sql: template.sql, query: template.query, parameters, queryId: createQueryId() };
  };
}
