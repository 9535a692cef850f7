/**
 * Route input types come from the route schemas: a handler registered through `typed(app)` sees
 * its body and params as json-schema-to-ts derives them from the `as const` schema, and the strict
 * validator refuses at run time what those types exclude, so the type is never a promise the
 * validator does not keep.
 */
import Fastify from 'fastify';
import { expect, expectTypeOf, it } from 'vitest';
import { installProblemHandlers } from '../src/http/problem.js';
import { useStrictValidation } from '../src/http/validator.js';
import { idParams } from '../src/routes/lib/admin-schemas.js';
import { typed } from '../src/routes/lib/typed.js';
import { deviceDeclarationSchema } from '../src/routes/schemas.js';

it('types a handler by its schemas and refuses at run time what the types exclude', async () => {
  const app = Fastify();
  installProblemHandlers(app, { notFound: false });
  useStrictValidation(app);
  typed(app).post(
    '/devices/:deviceId',
    {
      schema: {
        params: idParams('deviceId'),
        body: {
          type: 'object',
          required: ['device'],
          additionalProperties: false,
          properties: { device: deviceDeclarationSchema, note: { type: 'string', maxLength: 10 } },
        },
      },
    },
    async (request) => {
      expectTypeOf(request.params.deviceId).toEqualTypeOf<string>();
      expectTypeOf(request.body.note).toEqualTypeOf<string | undefined>();
      expectTypeOf(request.body.device.posture).toEqualTypeOf<{
        rooted: boolean;
        screenLock: boolean;
        emulator: boolean;
      }>();
      // @ts-expect-error not in the schema, so not in the type (and refused by the validator)
      request.body.extra;
      return { rooted: request.body.device.posture.rooted };
    },
  );
  const device = {
    id: '3f0c9a52-8c1e-4b9e-a7f1-0c2d5e6f7a81',
    publicKey: { kty: 'EC', crv: 'P-256', x: 'a'.repeat(43), y: 'b'.repeat(43) },
    platform: 'android',
    osVersion: '14',
    appVersion: '1.0.0',
    posture: { rooted: false, screenLock: true, emulator: false },
  };
  const send = (body: unknown, id = 'd1') =>
    app.inject({ method: 'POST', url: `/devices/${id}`, payload: body as object });

  const ok = await send({ device, note: 'ok' });
  expect([ok.statusCode, ok.json()]).toEqual([200, { rooted: false }]);
  for (const [body, id] of [
    [{ device, extra: 1 }, 'd1'],
    [{ device: { ...device, posture: { ...device.posture, rooted: 'false' } } }, 'd1'],
    [{ device, note: 'x'.repeat(11) }, 'd1'],
    [{ device }, 'a'.repeat(65)],
  ] as const) {
    const res = await send(body, id);
    expect([res.statusCode, res.json().code], JSON.stringify(body).slice(0, 80)).toEqual([
      400,
      'invalid_request',
    ]);
  }
  await app.close();
});
