/**
 * Environment files of a local development stack: which services an `.env` file points at this
 * machine. A secret of a service whose address in the same file is the loopback address (or the
 * host as a container or the Android emulator sees it) unlocks only what runs on the developer's
 * machine: the keys a local Supabase, MinIO or database is started with, which their tools
 * publish as defaults. The secrets rules lower such a finding, with that reason, rather than
 * report it as a leaked credential; a secret of any other service in the same file is judged as
 * before.
 */

/** One `NAME=value` line of an environment file (`export` allowed). */
const LINE = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*["'`]?([^"'`\s#]*)/gm;

/** A variable that says where a service is: `SUPABASE_URL`, `S3_ENDPOINT`, `DB_HOST`, `REDIS_ADDR`. */
const ADDRESS_NAME = /(?:url|uri|endpoint|host|hostname|server|address|addr)$/i;

/**
 * The developer's own machine: loopback (`localhost`, `127.0.0.1`, `::1`), any address
 * (`0.0.0.0`, where a local server listens), the host as Docker containers
 * (`host.docker.internal`) and the Android emulator (`10.0.2.2`) reach it.
 */
const THIS_MACHINE =
  /^(?:localhost|[a-z0-9-]+\.localhost|127(?:\.[0-9]{1,3}){3}|0\.0\.0\.0|\[?::1\]?|host\.docker\.internal|10\.0\.2\.2)$/i;

/** An environment file, by its name: `.env`, `.env.local`, `.env.test`, `functions.env`. */
const ENV_FILE = /(?:^|\/)(?:\.env(?:\.[^/]*)?|[^/]+\.env)$/;

/** The service a variable belongs to: its first word (`S3` of `S3_SECRET_ACCESS_KEY`). */
function serviceOf(name: string): string {
  return (name.split(/[_.-]/)[0] as string).toUpperCase();
}

/** The host of an address value: `http://user:pw@host:port/path`, `host:port/path` or `host`. */
function hostOf(value: string): string {
  const rest = value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/^[^@/]*@/, '');
  if (rest.startsWith('[')) return rest.slice(0, rest.indexOf(']') + 1);
  return rest.split(/[:/?#]/)[0] as string;
}

/**
 * The services of an environment file whose every address is this machine (at least one
 * address given), by their first word.
 *
 * @example
 * ```ts
 * localServices('S3_ENDPOINT=localhost:9000\nS3_SECRET_ACCESS_KEY=…\nAPI_URL=https://api.example.org');
 * // Set { 'S3' }
 * ```
 */
export function localServices(text: string): Set<string> {
  const local = new Set<string>();
  const remote = new Set<string>();
  for (const m of text.matchAll(LINE)) {
    const name = m[1] as string;
    const value = m[2] as string;
    if (!ADDRESS_NAME.test(name) || value === '' || value.includes('$')) continue;
    (THIS_MACHINE.test(hostOf(value)) ? local : remote).add(serviceOf(name));
  }
  for (const service of remote) local.delete(service);
  return local;
}

/**
 * Why a secret-named variable of an environment file is a local stack's, or undefined: its
 * service's every address in the same file is this machine.
 *
 * @example
 * ```ts
 * localStackReason('.env.test', 'SUPABASE_SERVICE_KEY', 'SUPABASE_URL=http://localhost:54321\n…');
 * // 'a key of a service (SUPABASE) whose address in the same environment file is this machine …'
 * ```
 */
export function localStackReason(path: string, name: string, text: string): string | undefined {
  if (!ENV_FILE.test(path)) return undefined;
  const service = serviceOf(name);
  if (!localServices(text).has(service)) return undefined;
  return `a key of a service (${service.slice(0, 30)}) whose address in the same environment file is this machine (localhost, a container's host): a local development stack's, which unlocks nothing another device can reach`;
}
