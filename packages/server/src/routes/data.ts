/**
 * The data API (docs/api.md, "Data"): per collection of the configuration, create, read, patch,
 * replace, delete and list, every call DPoP-authenticated. Route schemas come from the core
 * schema's JSON Schema export, so /openapi.json documents each collection; the core validator is
 * what actually checks each body. Reads send only the stored device projection.
 */
import { type AnyCollection, toJsonSchema } from '@bulwark/core/schema';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CollectionModel } from '../config/model.js';
import type { ServerContext } from '../context.js';
import { claimsOf } from '../data/claims.js';
import { isRecordId } from '../data/ids.js';
import { getVisible, type ListCursor, listVisible, recordJson } from '../data/read.js';
import { parseStrictJson, StrictJsonError } from '../data/strict-json.js';
import {
  createRecord,
  deleteRecord,
  updateRecord,
  type WriteOutcome,
  type WriteScope,
} from '../data/write.js';
import { authOf, requireAuth } from '../http/authenticate.js';
import { HttpProblem } from '../http/problem.js';
import { compileRule } from '../rules/compile.js';
import { RuleError } from '../rules/errors.js';
import type { Predicate } from '../rules/predicate.js';
import { DPOP_SECURITY } from './schemas.js';

const errorResponses = { description: 'application/problem+json with a stable code (docs/errors.md)' };

/** Most records in one list page. */
export const MAX_LIST_LIMIT = 200;
const MAX_FILTER_LENGTH = 4096;

function envelopeSchema(collection: AnyCollection) {
  return {
    type: 'object',
    required: ['id', 'version', 'owner', 'createdAt', 'updatedAt', 'record'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      version: { type: 'integer', minimum: 1 },
      owner: { type: 'string', description: 'User id of the creator.' },
      createdAt: { type: 'string', format: 'date-time' },
      updatedAt: { type: 'string', format: 'date-time' },
      record: toJsonSchema(collection, 'device'),
    },
  };
}

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid', description: 'Record id (random UUID).' } },
} as const;

const ifMatchHeaders = {
  type: 'object',
  properties: {
    'if-match': {
      type: 'string',
      description:
        'Version the change was made on ("3" or 3); a different stored version answers 409 version_conflict.',
    },
  },
} as const;

function recordId(request: FastifyRequest): string {
  const id = (request.params as { id?: unknown }).id;
  // Not a canonical id: no record can have it, and the answer is the same as for an unknown one.
  if (!isRecordId(id)) throw new HttpProblem(404, 'not_found', 'No such record.');
  return id;
}

function expectedVersion(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const m = typeof header === 'string' ? /^(?:W\/)?"?([1-9][0-9]{0,14})"?$/.exec(header.trim()) : null;
  if (m === null)
    throw new HttpProblem(400, 'invalid_request', 'If-Match must be a record version, e.g. "3".');
  return Number(m[1]);
}

function send(reply: FastifyReply, outcome: WriteOutcome, okStatus: number): FastifyReply {
  switch (outcome.kind) {
    case 'applied':
      reply.header('etag', `"${outcome.record.version}"`);
      return reply.code(okStatus).type('application/json').send(recordJson(outcome.record));
    case 'conflict':
      throw new HttpProblem(409, 'version_conflict', `The record is at version ${outcome.current.version}.`, {
        headers: { etag: `"${outcome.current.version}"` },
      });
    case 'rejected':
      throw new HttpProblem(
        outcome.status,
        outcome.code,
        outcome.detail,
        outcome.issues === undefined ? undefined : { issues: outcome.issues },
      );
  }
}

function parseCursor(text: string): ListCursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      Number.isSafeInteger(value[0]) &&
      isRecordId(value[1]) &&
      Buffer.from(JSON.stringify(value)).toString('base64url') === text
    ) {
      return { createdAt: value[0] as number, id: value[1] as string };
    }
  } catch {
    // Falls through to the refusal below.
  }
  throw new HttpProblem(400, 'invalid_cursor', 'The cursor is not one this server returned.');
}

function parseQuery(model: CollectionModel, query: unknown) {
  // Parameters the route's schema does not declare were refused before (app.ts).
  const q = (query ?? {}) as Record<string, unknown>;
  let limit = 50;
  if (q.limit !== undefined) {
    const n = typeof q.limit === 'string' && /^[0-9]{1,4}$/.test(q.limit) ? Number(q.limit) : Number.NaN;
    if (!(n >= 1 && n <= MAX_LIST_LIMIT)) {
      throw new HttpProblem(400, 'invalid_request', `limit must be an integer from 1 to ${MAX_LIST_LIMIT}.`);
    }
    limit = n;
  }
  if (q.cursor !== undefined && (typeof q.cursor !== 'string' || q.cursor.length > 200)) {
    throw new HttpProblem(400, 'invalid_cursor', 'The cursor is not one this server returned.');
  }
  const after = typeof q.cursor === 'string' ? parseCursor(q.cursor) : undefined;
  let filter: Predicate | undefined;
  if (q.filter !== undefined) {
    if (typeof q.filter !== 'string' || q.filter.length > MAX_FILTER_LENGTH) {
      throw new HttpProblem(
        400,
        'invalid_filter',
        `filter must be one JSON rule of at most ${MAX_FILTER_LENGTH} characters.`,
      );
    }
    let parsed: unknown;
    try {
      // The same JSON as bodies accept: a duplicate key would leave the filter's meaning to the parser.
      parsed = parseStrictJson(q.filter);
    } catch (err) {
      const detail =
        err instanceof StrictJsonError && err.reason !== 'syntax'
          ? `filter: ${err.message}`
          : 'filter is not valid JSON.';
      throw new HttpProblem(400, 'invalid_filter', detail);
    }
    try {
      // No claims, no serverOnly field: a filter narrows what the read rule allows, nothing more.
      const compiled = compileRule(parsed, model.collection, 'filter', {
        claims: false,
        serverOnly: false,
        fieldValues: true,
      });
      filter = compiled({ userId: '', username: '', role: '', teams: [] });
    } catch (err) {
      if (err instanceof RuleError) throw new HttpProblem(400, 'invalid_filter', err.message);
      throw err;
    }
  }
  return { limit, after, filter };
}

function collectionRoutes(app: FastifyInstance, ctx: ServerContext, model: CollectionModel): void {
  const auth = requireAuth(ctx);
  const base = `/data/${model.name}`;
  const tags = [`data: ${model.name}`];
  const record = envelopeSchema(model.collection);
  const scopeOf = async (request: FastifyRequest): Promise<WriteScope> => {
    const caller = authOf(request);
    return { ctx, model, claims: await claimsOf(ctx, caller), deviceId: caller.deviceId };
  };

  app.get(
    base,
    {
      onRequest: auth,
      schema: {
        tags,
        summary: `List the ${model.name} records the caller may see, oldest first.`,
        security: DPOP_SECURITY,
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: MAX_LIST_LIMIT, default: 50 },
            cursor: { type: 'string', description: 'nextCursor of the previous page.' },
            filter: {
              type: 'string',
              description:
                'A rule in JSON (docs/rules.md) over non-serverOnly fields, without claims, e.g. {"field":"status","eq":"open"}.',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['records', 'nextCursor'],
            properties: {
              records: { type: 'array', items: record },
              nextCursor: { type: ['string', 'null'] },
            },
          },
          '4xx': errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { limit, after, filter } = parseQuery(model, request.query);
      const scope = await scopeOf(request);
      const page = await listVisible(ctx, model, scope.claims, { limit, after, filter });
      const next =
        page.next === undefined
          ? 'null'
          : JSON.stringify(
              Buffer.from(JSON.stringify([page.next.createdAt, page.next.id])).toString('base64url'),
            );
      return reply
        .type('application/json')
        .send(`{"records":[${page.records.map(recordJson).join(',')}],"nextCursor":${next}}`);
    },
  );

  app.post(
    base,
    {
      onRequest: auth,
      schema: {
        tags,
        summary: `Create a ${model.name} record (the server assigns the id and the owner).`,
        security: DPOP_SECURITY,
        body: toJsonSchema(model.collection, 'create'),
        response: { 201: record, '4xx': errorResponses },
      },
    },
    async (request, reply) => send(reply, await createRecord(await scopeOf(request), request.body), 201),
  );

  app.get(
    `${base}/:id`,
    {
      onRequest: auth,
      schema: {
        tags,
        summary: `Read one ${model.name} record (404 when absent or hidden by the read rule).`,
        security: DPOP_SECURITY,
        params: idParams,
        response: { 200: record, '4xx': errorResponses },
      },
    },
    async (request, reply) => {
      const id = recordId(request);
      const scope = await scopeOf(request);
      const found = await getVisible(ctx, model, scope.claims, id);
      if (found === undefined) throw new HttpProblem(404, 'not_found', 'No such record.');
      reply.header('etag', `"${found.version}"`);
      return reply.type('application/json').send(recordJson(found));
    },
  );

  app.patch(
    `${base}/:id`,
    {
      onRequest: auth,
      schema: {
        tags,
        summary: `Change fields of a ${model.name} record (the fields sent replace the stored ones).`,
        security: DPOP_SECURITY,
        params: idParams,
        headers: ifMatchHeaders,
        body: toJsonSchema(model.collection, 'patch'),
        response: { 200: record, '4xx': errorResponses },
      },
    },
    async (request, reply) => {
      const id = recordId(request);
      const version = expectedVersion(request);
      const outcome = await updateRecord(await scopeOf(request), id, request.body, {
        mode: 'patch',
        expectedVersion: version,
      });
      return send(reply, outcome, 200);
    },
  );

  app.put(
    `${base}/:id`,
    {
      onRequest: auth,
      schema: {
        tags,
        summary: `Replace every field a device may set of a ${model.name} record (serverOnly fields are kept).`,
        security: DPOP_SECURITY,
        params: idParams,
        headers: ifMatchHeaders,
        body: toJsonSchema(model.collection, 'create'),
        response: { 200: record, '4xx': errorResponses },
      },
    },
    async (request, reply) => {
      const id = recordId(request);
      const version = expectedVersion(request);
      const outcome = await updateRecord(await scopeOf(request), id, request.body, {
        mode: 'replace',
        expectedVersion: version,
      });
      return send(reply, outcome, 200);
    },
  );

  app.delete(
    `${base}/:id`,
    {
      onRequest: auth,
      schema: {
        tags,
        summary: `Delete a ${model.name} record (a tombstone is kept for sync).`,
        security: DPOP_SECURITY,
        params: idParams,
        headers: ifMatchHeaders,
        response: { 204: { type: 'null', description: 'Deleted.' }, '4xx': errorResponses },
      },
    },
    async (request, reply) => {
      const id = recordId(request);
      const version = expectedVersion(request);
      const outcome = await deleteRecord(await scopeOf(request), id, { expectedVersion: version });
      if (outcome.kind === 'applied') return reply.code(204).send();
      return send(reply, outcome, 204);
    },
  );
}

/**
 * Registers `/data/<collection>` routes for every collection of the data model.
 *
 * @example
 * ```ts
 * await app.register(async (child) => dataRoutes(child, ctx));
 * ```
 */
export function dataRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const data = ctx.data;
  if (data === undefined) return;
  for (const model of data.model.collections.values()) collectionRoutes(app, ctx, model);
}
