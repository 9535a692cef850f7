/** Small readers of request facts shared by the routes: client IP, DPoP headers, request URI. */
import type { FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.js';
import { requestHtu } from '../dpop/htu.js';

/** Every `DPoP` header value as received (duplicates kept apart, unlike `request.headers`). */
export function dpopHeaders(request: FastifyRequest): string[] {
  const raw = request.raw.rawHeaders;
  const values: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === 'dpop') values.push(raw[i + 1] ?? '');
  }
  return values;
}

/** The normalised URI of the request for the DPoP `htu` check. */
export function htuOf(ctx: ServerContext, request: FastifyRequest): string | undefined {
  return requestHtu(
    { protocol: request.protocol, host: request.host, url: request.url },
    ctx.config.publicUrl,
  );
}

/** The client address (X-Forwarded-For only when the app trusts its proxy). */
export function clientIp(request: FastifyRequest): string {
  return request.ip;
}
