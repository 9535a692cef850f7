/**
 * RFC 9457 problem details: the one shape of every HTTP error Bulwark sends. Each problem has a
 * stable `code` (the same string as the thrown error's `code`), never a stack trace, SQL text or
 * secret.
 */

import type { Socket } from 'node:net';
import { BulwarkError } from '@bulwark/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerErrorCode } from './codes.js';

/** Media type of every error response. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** One per-field reason inside a problem (for rejected input). */
export interface ProblemIssue {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

/** The JSON body of an error response. */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
  readonly issues?: readonly ProblemIssue[];
}

/**
 * An error that maps to one HTTP status and a stable problem `code`.
 *
 * @example
 * ```ts
 * throw new HttpProblem(404, 'not_found', 'No such record.');
 * ```
 */
export class HttpProblem extends BulwarkError<ServerErrorCode> {
  readonly status: number;
  readonly issues: readonly ProblemIssue[] | undefined;
  /** Response headers that go with the problem (WWW-Authenticate, Retry-After, DPoP-Nonce). */
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(
    status: number,
    code: ServerErrorCode,
    detail: string,
    options?: {
      cause?: unknown;
      issues?: readonly ProblemIssue[];
      headers?: Readonly<Record<string, string>>;
    },
  ) {
    super(code, detail, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.issues = options?.issues;
    this.headers = options?.headers;
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * Builds a problem body; `type` is `urn:bulwark:problem:<code>`, documented in docs/errors.md.
 *
 * @example
 * ```ts
 * problem(404, 'not_found', 'No such route.');
 * ```
 */
export function problem(
  status: number,
  code: ServerErrorCode,
  detail?: string,
  issues?: readonly ProblemIssue[],
): ProblemBody {
  return {
    type: `urn:bulwark:problem:${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    ...(detail === undefined ? {} : { detail }),
    ...(issues === undefined ? {} : { issues }),
  };
}

/** Sends `body` as application/problem+json. */
export function sendProblem(reply: FastifyReply, body: ProblemBody): FastifyReply {
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

/** Maps Fastify's own error codes to stable Bulwark codes. */
function fromFastifyError(err: FastifyError): ProblemBody | undefined {
  if (err.validation) {
    const issues: ProblemIssue[] = err.validation.map((v) => ({
      path: v.instancePath === '' ? '/' : v.instancePath,
      code: v.keyword,
      message: v.message ?? 'invalid',
    }));
    return problem(400, 'invalid_request', 'The request does not match the route schema.', issues);
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem(400, 'invalid_json', 'The request body is not valid JSON.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(413, 'payload_too_large', 'The request body is larger than allowed.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problem(415, 'unsupported_media_type', 'Send application/json.');
    case 'FST_ERR_CTP_INVALID_TYPE':
      return problem(415, 'unsupported_media_type', 'Send application/json.');
    default:
      break;
  }
  // The body parser's own rejections (malformed JSON, secure-json-parse's prototype poisoning),
  // which Fastify marks with status 400. A SyntaxError without it comes from parsing something
  // the server stored (a damaged row): a fault of the server, not of the request, so it is not
  // blamed on the client as invalid_json.
  if (
    (err instanceof SyntaxError || err.message === 'Object contains forbidden prototype property') &&
    err.statusCode === 400
  ) {
    return problem(400, 'invalid_json', 'The request body is not valid JSON.');
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return problem(err.statusCode, 'bad_request', 'The request was refused.');
  }
  return undefined;
}

/** Error codes of a PostgreSQL connection that is down or going down (class 08, 57P01–57P03). */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

/**
 * True for an error that says the database cannot be reached (a restart, a failover), as
 * opposed to a fault of the request or of the code: the request may be retried.
 *
 * @example
 * ```ts
 * if (isDatabaseUnavailable(err)) reply.code(503);
 * ```
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return /^Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect/.test(
    err.message,
  );
}

/**
 * Installs the error and (unless `notFound: false`) not-found handlers that turn every failure
 * into problem+json.
 * A database that cannot be reached is 503 `database_unavailable` (the transaction did not
 * commit; retry). Unexpected errors are logged (message and code only) and answered with a
 * generic 500.
 *
 * @example
 * ```ts
 * const app = Fastify();
 * installProblemHandlers(app);
 * ```
 */
export function installProblemHandlers(app: FastifyInstance, options: { notFound?: boolean } = {}): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof HttpProblem) {
      // A node that cannot reach a store it depends on says so in its log (code only).
      if (err.status >= 500) request.log.warn({ code: err.code }, 'request refused: service unavailable');
      if (err.headers !== undefined) reply.headers(err.headers);
      return sendProblem(reply, problem(err.status, err.code, err.message, err.issues));
    }
    const mapped = fromFastifyError(err);
    if (mapped !== undefined) return sendProblem(reply, mapped);
    if (isDatabaseUnavailable(err)) {
      request.log.warn({ errName: err.name, errCode: err.code }, 'database unavailable');
      reply.header('retry-after', '1');
      return sendProblem(
        reply,
        problem(503, 'database_unavailable', 'The database is not reachable; try again shortly.'),
      );
    }
    request.log.error({ errName: err.name, errCode: err.code }, 'unexpected error');
    return sendProblem(reply, problem(500, 'internal_error', 'An unexpected error occurred.'));
  });
  if (options.notFound === false) return;
  app.setNotFoundHandler((_request: FastifyRequest, reply: FastifyReply) =>
    sendProblem(reply, problem(404, 'not_found', 'No such route.')),
  );
}

/**
 * The headers every API answer carries (helmet sets them in a hook, which Fastify skips for what
 * its router refuses): no caching, no sniffing, no framing, no referrer, HTTPS only.
 */
const ROUTER_REFUSAL_HEADERS = {
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'cross-origin-resource-policy': 'same-origin',
} as const;

/**
 * Fastify's `frameworkErrors` option: what the router refuses before any route or hook runs is
 * problem+json like every other refusal, with the same security headers, not Fastify's own JSON:
 * a path that is not valid percent-encoding (`%ff`) or a path parameter over Fastify's
 * `maxParamLength` (100 characters) is `400 invalid_request`. A host that mounts the plugin sets
 * it on its own server.
 *
 * @example
 * ```ts
 * const app = Fastify({ frameworkErrors: frameworkProblem });
 * ```
 */
export function frameworkProblem(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.headers(ROUTER_REFUSAL_HEADERS);
  if (err.code === 'FST_ERR_BAD_URL') {
    sendProblem(reply, problem(400, 'invalid_request', 'The URL could not be decoded.'));
  } else if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    sendProblem(reply, problem(400, 'invalid_request', 'A part of the path is longer than 100 characters.'));
  } else {
    request.log.error({ errName: err.name, errCode: err.code }, 'unexpected router error');
    sendProblem(reply, problem(500, 'internal_error', 'An unexpected error occurred.'));
  }
}

/**
 * Fastify's `clientErrorHandler` option: what Node's HTTP parser refuses before there is a request
 * (a request line that is not HTTP, `Content-Length` with `Transfer-Encoding` or twice, a bad chunk,
 * a header section over the limit, a client too slow to send one) is answered `bad_request` as
 * problem+json with the API's security headers, instead of Fastify's own JSON without them; then
 * the connection closes, as Node's own handler does.
 *
 * @example
 * ```ts
 * const app = Fastify({ clientErrorHandler: clientErrorProblem });
 * ```
 */
export function clientErrorProblem(err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'The request headers are larger than the server accepts.']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'The request did not arrive in time.']
        : [400, 'The request is not well-formed HTTP.'];
  if (socket.writable) {
    const body = JSON.stringify(problem(status, 'bad_request', detail));
    const headers = Object.entries(ROUTER_REFUSAL_HEADERS)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.write(
      `HTTP/1.1 ${status} ${TITLES[status]}\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\n${headers}connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
