/**
 * The sync wire protocol, shared by the client's sync engine and the server's sync routes
 * (docs/sync.md): a pull by opaque checkpoint returning pages of changes (device projections and
 * removals), and a push of a batch of mutations, each with a client mutation id that makes a
 * retry idempotent, answered per mutation with applied, rejected (code and per-field reasons) or
 * conflict (server version).
 *
 * @example
 * ```ts
 * import type { PushMutation } from '@bulwark/core/protocol';
 * const m: PushMutation = { mutationId: 'm1', collection: 'notes', id: 'n1', op: 'delete', baseVersion: 3 };
 * ```
 */

/** One change in a pull page. */
export type PulledChange =
  | {
      readonly collection: string;
      readonly id: string;
      readonly version: number;
      readonly record: Readonly<Record<string, unknown>>;
    }
  | { readonly collection: string; readonly id: string; readonly removed: true };

/** `POST /sync/pull` answer. */
export interface PullResponse {
  readonly changes: readonly PulledChange[];
  readonly checkpoint: string;
  readonly hasMore: boolean;
  /** Drop every synced record before applying this page (the server's rules, schema or claims changed). */
  readonly reset?: true;
}

/**
 * One mutation in `POST /sync/push`. `Body` is what a record is taken to be: the device sends
 * records; the server, receiving them, checks them before it trusts their shape (`unknown`).
 */
export interface PushMutation<Body = Readonly<Record<string, unknown>>> {
  readonly mutationId: string;
  readonly collection: string;
  readonly id: string;
  readonly op: 'upsert' | 'delete';
  /** The server version the edit was made on; null for a record created on the device. */
  readonly baseVersion: number | null;
  readonly record?: Body;
}

/** A per-field reason of a rejection. */
export interface RejectionIssue {
  readonly path: string;
  readonly code: string;
  readonly message?: string;
}

/** One result of `POST /sync/push`. */
export type PushResult =
  | { readonly mutationId: string; readonly status: 'applied'; readonly version: number }
  | {
      readonly mutationId: string;
      readonly status: 'rejected';
      readonly code: string;
      readonly issues?: readonly RejectionIssue[];
    }
  | {
      readonly mutationId: string;
      readonly status: 'conflict';
      readonly serverVersion: number;
      /** The server's device projection of the record; absent when it was deleted. */
      readonly serverRecord?: Readonly<Record<string, unknown>>;
    };

/** `POST /sync/push` answer. */
export interface PushResponse {
  readonly results: readonly PushResult[];
}
