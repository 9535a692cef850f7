/**
 * The sync wire protocol the engine speaks: core's (`@bulwark/core/protocol`), which the server
 * speaks too.
 */
export type {
  PulledChange,
  PullResponse,
  PushMutation,
  PushResponse,
  PushResult,
  RejectionIssue,
} from '@bulwark/core/protocol';
