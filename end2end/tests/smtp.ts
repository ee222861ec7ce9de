// A real SMTP server for browser tests: aiosmtpd from the repo's .venv, writing to a Maildir.
import { spawn, ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './server';

async function freePort(): Promise<number> {
  return new Promise((ok) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as any).port;
      srv.close(() => ok(port));
    });
  });
}

async function reachable(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = new Socket();
    s.once('connect', () => { s.destroy(); ok(true); });
    s.once('error', () => ok(false));
    s.connect(port, '127.0.0.1');
  });
}

export interface Sink { url: string; stop: () => void; waitFor: (n: number) => Promise<string>; }

export async function startSmtp(): Promise<Sink> {
  const python = join(ROOT, '.venv', 'bin', 'python');
  if (!existsSync(python)) throw new Error('the test venv is missing: run `make setup` (it installs aiosmtpd)');
  const port = await freePort();
  const maildir = join(mkdtempSync(join(tmpdir(), 'rollcall-mail-')), 'maildir');
  const child: ChildProcess = spawn(python, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !(await reachable(port)); i++) await new Promise((r) => setTimeout(r, 50));
  const messages = () => {
    const dir = join(maildir, 'new');
    if (!existsSync(dir)) return [];
    return readdirSync(dir).map((f) => join(dir, f)).sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs).map((f) => readFileSync(f, 'utf8'));
  };
  return {
    url: `smtp://127.0.0.1:${port}`,
    stop: () => { child.kill(); },
    waitFor: async (n: number) => {
      for (let i = 0; i < 200; i++) {
        const all = messages();
        if (all.length >= n) return all[n - 1];
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`mail #${n} did not arrive`);
    },
  };
}

/** The first `/signup/<token>` (or other prefix) link in a raw message. */
export function linkIn(raw: string, prefix: string): string {
  const text = raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const m = text.match(new RegExp(`https?://[^\\s"<>]*${prefix}[A-Za-z0-9]+`));
  if (!m) throw new Error(`no ${prefix} link in:\n${text}`);
  return m[0];
}
