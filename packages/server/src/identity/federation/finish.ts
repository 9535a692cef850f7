/**
 * The end of every federated sign-in (OIDC, SAML, LDAP): once a provider vouched for an
 * identity, the account is resolved (linked, provisioned, mapped) and the device gets exactly
 * what a local sign-in gives it — the same enrollment, device policy, DPoP-bound session and
 * tokens, signed policy, and the same security events — so revocation, disabling and sign-out
 * work on federated sessions unchanged.
 */
import type { FastifyRequest } from 'fastify';
import type { JWK } from 'jose';
import type { ServerContext } from '../../context.js';
import type { UsersTable } from '../../db/schema.js';
import type { DeviceDeclaration } from '../../devices/registry.js';
import { signPolicy } from '../../devices/signed-policy.js';
import { HttpProblem } from '../../http/problem.js';
import { clientIp } from '../../http/request.js';
import { enrollForSignIn, userView } from '../../routes/auth.js';
import { type FederatedIdentity, resolveFederatedUser } from './accounts.js';
import { appRegistryOf } from './apps.js';
import type { ProviderConfig } from './config.js';

/** The verified DPoP proof of the request that ends the sign-in. */
export interface SignInProof {
  readonly jkt: string;
  readonly jwk: JWK;
}

/** The token response of a sign-in (the `/auth/login` shape). */
export type SignInResponse = Awaited<ReturnType<typeof issueDeviceSession>>;

/**
 * Ends a federated sign-in: resolves the account of `identity` and issues the device session.
 *
 * @example
 * ```ts
 * const body = await finishFederatedSignIn(ctx, request, provider, identity, proof, declaration);
 * ```
 */
export async function finishFederatedSignIn(
  ctx: ServerContext,
  request: FastifyRequest,
  provider: ProviderConfig,
  identity: FederatedIdentity,
  proof: SignInProof,
  declaration: DeviceDeclaration,
  appId?: string,
): Promise<SignInResponse> {
  const ip = clientIp(request);
  let user: UsersTable;
  try {
    user = await resolveFederatedUser(ctx, provider, identity, ip);
  } catch (err) {
    if (err instanceof HttpProblem) {
      await ctx.events.append({
        type: 'login_failed',
        subject: `${provider.id}:${identity.username}`.slice(0, 200),
        ip,
        data: { reason: err.code, provider: provider.id },
      });
    }
    throw err;
  }
  return issueDeviceSession(ctx, request, user, proof, declaration, { provider: provider.id }, appId);
}

/**
 * Enrolls the device, applies the device policy and starts a DPoP-bound session for `user`,
 * exactly as a local sign-in does after the password check. `extra` is added to the
 * `login_succeeded` event (which provider). With `appId`, the session belongs to that registered
 * app (its collections only), which the user must be assigned to (403 `app_not_assigned`).
 *
 * @example
 * ```ts
 * const body = await issueDeviceSession(ctx, request, user, proof, declaration, { provider: 'corp' });
 * ```
 */
export async function issueDeviceSession(
  ctx: ServerContext,
  request: FastifyRequest,
  user: UsersTable,
  proof: SignInProof,
  declared: DeviceDeclaration,
  extra: Record<string, string>,
  appId?: string,
) {
  const ip = clientIp(request);
  const apps = appRegistryOf(ctx);
  const refuseDisabled = async (): Promise<never> => {
    await ctx.events.append({
      type: 'login_failed',
      actorUserId: user.id,
      subject: user.username_key,
      ip,
      data: { reason: 'account_disabled', ...extra },
    });
    throw new HttpProblem(401, 'account_disabled', 'This account is disabled.');
  };
  if (appId !== undefined) {
    const app = apps.app(appId);
    if (!(await apps.allowed(app, user.role, await apps.teamsOf(user.id)))) {
      throw new HttpProblem(403, 'app_not_assigned', 'This account may not use this app.');
    }
  }
  if (user.disabled_at !== null) {
    return refuseDisabled();
  }
  const { device, decision } = await enrollForSignIn(ctx, {
    userId: user.id,
    proof,
    declaration: { ...declared, id: declared.id.toLowerCase() },
    ip,
  });
  // The account is read again, under a row lock (PostgreSQL; SQLite has one writer), as the
  // session starts: a disable that committed since the check above ended every session there
  // was, and one started after it would come back to life when the account is enabled again.
  const started = await ctx.db.transaction().execute(async (trx) => {
    let current = trx.selectFrom('users').select('disabled_at').where('id', '=', user.id);
    if (ctx.dialect === 'postgres') current = current.forUpdate();
    const row = await current.executeTakeFirst();
    if (row === undefined || row.disabled_at !== null) return undefined;
    const created = await ctx.sessions.create({ userId: user.id, deviceId: device.id, jkt: proof.jkt }, trx);
    if (appId !== undefined) await apps.bind(created.session.id, appId, trx);
    return created;
  });
  if (started === undefined) {
    return refuseDisabled();
  }
  const { session, refreshToken } = started;
  const accessToken = await ctx.tokens.issue({
    sub: user.id,
    did: device.id,
    sid: session.id,
    jkt: proof.jkt,
  });
  await ctx.events.append({
    type: 'login_succeeded',
    actorUserId: user.id,
    actorDeviceId: device.id,
    subject: user.id,
    ip,
    data: { sessionId: session.id, ...extra, ...(appId === undefined ? {} : { app: appId }) },
  });
  return {
    accessToken,
    tokenType: 'DPoP' as const,
    expiresIn: ctx.tokens.ttlSeconds,
    refreshToken,
    user: userView(user),
    device: { id: device.id, status: 'active' },
    policy: {
      decision: decision.decision,
      findings: decision.findings,
      settings: decision.settings,
      signed: await signPolicy(ctx.keys, ctx.config.issuer, device.id, decision, ctx.now()),
    },
  };
}
