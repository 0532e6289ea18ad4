// Starts the real Cubed binary for the e2e tests:
//   $CUBED_BIN demo --data <tmpdir> --addr 127.0.0.1:<free port>
// reads the printed login line, and passes URL and credentials to the tests
// through the environment. Without CUBED_BIN it builds the binary first.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

function waitForLogin(child: ChildProcess, timeoutMs: number): Promise<{ url: string; email: string; password: string }> {
  return new Promise((ok, fail) => {
    let out = '';
    let url = '';
    const timer = setTimeout(() => fail(new Error(`cubed demo printed no login line within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      url ||= /running at (http:\/\/\S+?)\/?\s/.exec(out)?.[1] ?? '';
      const m = /^\s*log in:\s+(\S+)\s+\/\s+(\S+)\s*$/m.exec(out);
      if (m?.[1] && m[2] && url) {
        clearTimeout(timer);
        ok({ url, email: m[1], password: m[2] });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`cubed demo exited with ${code} before it was ready:\n${out}`));
    });
  });
}

export default async function globalSetup() {
  const work = mkdtempSync(join(tmpdir(), 'cubed-e2e-'));
  let bin = process.env.CUBED_BIN;
  if (!bin) {
    bin = join(work, 'cubed');
    console.log(`CUBED_BIN is not set: building ${bin}`);
    // The Go toolchain of go.mod, as in scripts/test (docs/decisions.md, "Go toolchain").
    execFileSync('go', ['build', '-o', bin, './cmd/cubed'], {
      cwd: resolve(import.meta.dirname, '../..'),
      stdio: 'inherit',
      env: { ...process.env, GOTOOLCHAIN: 'go1.27.3' },
    });
  }
  const port = await freePort();
  const child = spawn(bin, ['demo', '--data', join(work, 'data'), '--addr', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CUBED_LOG_LEVEL: process.env.CUBED_LOG_LEVEL ?? 'warn' },
  });
  const login = await waitForLogin(child, 60_000);
  process.env.CUBED_E2E_URL = login.url;
  process.env.CUBED_E2E_EMAIL = login.email;
  process.env.CUBED_E2E_PASSWORD = login.password;
  console.log(`cubed demo at ${login.url} (pid ${child.pid})`);

  return async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise<void>((done) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          done();
        }, 10_000);
        child.once('exit', () => {
          clearTimeout(t);
          done();
        });
      });
    }
    rmSync(work, { recursive: true, force: true });
  };
}
