/**
 * What the request log line says about a request: method, URL, host and client address, with the
 * values of the query string left out. Queries carry what callers filter on (a list filter over a
 * sensitive field holds its value) and, from a misbehaving client, tokens; the log keeps only
 * the parameter names, and only when they look like names.
 */

/** A parameter name worth keeping: a short identifier, nothing that could be a value. */
const PARAMETER_NAME = /^[A-Za-z0-9_.[\]-]{1,40}$/;

/**
 * `url` (path and query as received) with every query value removed: `?filter=…&limit=…`.
 *
 * @example
 * ```ts
 * urlForLog('/data/inspections?filter=%7B%7D&limit=5'); // '/data/inspections?filter=…&limit=…'
 * urlForLog('/me?eyJhbGciOi…'); // '/me?…'
 * ```
 */
export function urlForLog(url: string): string {
  const query = url.indexOf('?');
  if (query < 0) return url;
  const names = url
    .slice(query + 1)
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      return PARAMETER_NAME.test(name) && eq >= 0 ? `${name}=…` : '…';
    });
  return `${url.slice(0, query)}?${names.join('&')}`;
}

/** The fields of a request that `logRequest` reads (a Fastify request has them). */
export interface LoggedRequest {
  readonly method: string;
  readonly url: string;
  readonly host?: string;
  readonly ip?: string;
  readonly socket?: { readonly remotePort?: number } | null;
}

/**
 * The logger's `req` serializer: Fastify's own fields, with the URL through {@link urlForLog}.
 *
 * @example
 * ```ts
 * const app = Fastify({ logger: { serializers: { req: logRequest } } });
 * ```
 */
export function logRequest(request: LoggedRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: urlForLog(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
