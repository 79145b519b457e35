import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FullConfig } from '@playwright/test';

// Starts `skyfly dev` (the binary `make build` made, with the web app
// embedded) on free ports with a temporary data dir, waits for its ready
// banner and hands the gateway URL to the tests as SKYFLY_E2E_URL. The
// returned function stops it (Ctrl-C) and removes the data dir.

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

export default async function globalSetup(_config: FullConfig): Promise<() => Promise<void>> {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const bin = process.env.SKYFLY_BIN ? resolve(process.env.SKYFLY_BIN) : join(root, 'bin', 'skyfly');
  if (!existsSync(bin)) throw new Error(`${bin} does not exist: run make build first (it builds the web app, then the binary embedding it)`);
  const dataDir = mkdtempSync(join(tmpdir(), 'skyfly-e2e-'));
  const [temporal, ui, codec] = [await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SKYFLY_DATA_DIR: dataDir,
    SKYFLY_GATEWAY_ADDR: '127.0.0.1:0', // the banner names the port it got
    SKYFLY_PUBLIC_URL: '',
    SKYFLY_AUTH_URL: '',
    SKYFLY_JWKS_URL: '',
    SKYFLY_TEMPORAL_ADDRESS: `127.0.0.1:${temporal}`,
    SKYFLY_TEMPORAL_UI_URL: `http://127.0.0.1:${ui}`,
    SKYFLY_CODEC_ADDR: `127.0.0.1:${codec}`,
    SKYFLY_REDIS_URL: '',
    SKYFLY_KAFKA_BROKERS: '',
    SKYFLY_LOG_LEVEL: 'warn',
    // Short holds, so a test can watch an unpaid hold expire; every other
    // test pays within seconds of holding.
    SKYFLY_HOLD_TTL: '30s',
  };
  const child = spawn(bin, ['dev'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const started = Date.now();
  const url = await new Promise<string>((res, rej) => {
    let gateway = '';
    // The banner prints the demo agent's generated password and TOTP secret.
    const timer = setTimeout(() => rej(new Error(`skyfly dev not ready in 4 minutes:\n${output}`)), 240_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of chunk.toString().split('\n')) {
        const f = line.trim().split(/\s+/);
        if (f[0] === 'gateway' && f[1]?.startsWith('http://')) gateway = f[1];
        const staff = /staff (agent|supervisor)@skyfly\.dev \(\w+\)\s+password: (\S+)\s+TOTP secret: (\S+)/.exec(line);
        if (staff) {
          const who = staff[1].toUpperCase();
          process.env[`SKYFLY_E2E_${who}_PASSWORD`] = staff[2];
          process.env[`SKYFLY_E2E_${who}_TOTP`] = staff[3];
        }
        if (line.includes('ready in') && gateway) {
          clearTimeout(timer);
          res(gateway);
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => {
      clearTimeout(timer);
      rej(new Error(`skyfly dev did not start: ${err.message}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`skyfly dev exited (${code}) before it was ready:\n${output}`));
    });
  });
  console.log(`skyfly dev ready at ${url} in ${((Date.now() - started) / 1000).toFixed(1)}s (data dir ${dataDir})`);
  process.env.SKYFLY_E2E_URL = url;

  return async () => {
    const exited = new Promise<void>((res) => child.once('exit', () => res()));
    child.kill('SIGINT');
    const timeout = new Promise<void>((res) => setTimeout(res, 60_000));
    await Promise.race([exited, timeout]);
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  };
}
