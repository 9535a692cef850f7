/** Wire types shared by the client SDK and the server. */
export type {
  PulledChange,
  PullResponse,
  PushMutation,
  PushResponse,
  PushResult,
  RejectionIssue,
} from './sync.js';
