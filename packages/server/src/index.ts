/**
 * @bulwark/server: the Bulwark backend as a standalone Fastify app (`buildApp`, `startServer`)
 * or as a plugin for an existing Fastify server (`bulwarkPlugin`).
 */
export { type AppOptions, type BulwarkPluginOptions, buildApp, bulwarkPlugin } from './app.js';
export type { ServerContext } from './context.js';
export {
  type DatabaseOptions,
  migrate,
  type OpenDatabase,
  openDatabase,
  SQLITE_FILE,
} from './db/database.js';
export type { Database } from './db/schema.js';
export {
  HttpProblem,
  installProblemHandlers,
  PROBLEM_CONTENT_TYPE,
  type ProblemBody,
  type ProblemIssue,
  problem,
} from './http/problem.js';
export {
  isLoopbackHost,
  type RunningServer,
  ServeConfigError,
  type ServeOptions,
  startServer,
} from './serve.js';
