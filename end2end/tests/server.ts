// Starts the real release binary on a free port with a fresh SQLite file, and reads back its
// address (stdout) and first-run set-up code (stderr).
import { spawn, ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');
export const BIN = join(ROOT, 'target', 'release', 'rollcall');

export interface Running {
  url: string;
  setupCode?: string;
  databaseUrl: string;
  stop: () => Promise<void>;
}

/** `bin`/`cwd`: another copy of the binary, run from another directory (default: the repo's). */
export async function startServer(extraArgs: string[] = [], opts: { bin?: string; cwd?: string } = {}): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-e2e-'));
  const databaseUrl = `sqlite://${join(dir, 'rollcall.db')}`;
  const env: NodeJS.ProcessEnv = { ...process.env, ROLLCALL_DATABASE_URL: databaseUrl, ROLLCALL_LOG: 'info' };
  delete env.ROLLCALL_SITE_ROOT;
  const child: ChildProcess = spawn(opts.bin ?? BIN, ['serve', '--listen', '127.0.0.1:0', ...extraArgs], {
    cwd: opts.cwd ?? ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d.toString(); });
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start:\n${stderr}`)), 30_000);
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d.toString();
      const m = out.match(/Rollcall listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    child.on('exit', (code) => fail(new Error(`server exited with ${code}:\n${stderr}`)));
  });
  // The banner follows the listening line; give it a moment.
  for (let i = 0; i < 50 && !/set-up code/.test(stderr); i++) await new Promise((r) => setTimeout(r, 20));
  const setupCode = stderr.match(/set-up code\s+([A-Z0-9-]{14})/)?.[1];
  return {
    url, setupCode, databaseUrl,
    stop: () => new Promise<void>((done) => { child.once('exit', () => done()); child.kill('SIGTERM'); }),
  };
}

/** Runs the CLI against the same database. */
export async function cli(databaseUrl: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((ok, fail) => {
    const child = spawn(BIN, args, { cwd: ROOT, env: { ...process.env, ROLLCALL_DATABASE_URL: databaseUrl, ...env } });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => (code === 0 ? ok(out.trim()) : fail(new Error(`rollcall ${args.join(' ')}: ${err}`))));
  });
}

/** One SCIM request to an account of `base` with a bearer token; the JSON body if any. */
export async function scimRequest(base: string, account: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}/scim/account/${account}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** A SCIM User as OneLogin sends it: userName = the e-mail, a name, one primary work e-mail. */
export function scimUser(email: string, givenName: string, familyName: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: email,
    name: { givenName, familyName },
    emails: [{ value: email, type: 'work', primary: true }],
    active: true,
  };
}

/** A PATCH that suspends (active = false). */
export const SUSPEND = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
  Operations: [{ op: 'replace', path: 'active', value: false }],
};
