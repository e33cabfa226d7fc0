import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { BIN, mdc, ROOT, tempDir } from './helpers.js';

const ws = tempDir('mdc-cli-studio-');
after(() => rmSync(ws, { recursive: true, force: true }));

describe('mdc studio', () => {
  it('refuses a non-loopback host without --allow-remote', () => {
    const r = mdc(['studio', '--workspace', ws, '--host', '0.0.0.0', '--port', '0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error MDC_USAGE: --host 0\.0\.0\.0 .*--allow-remote/);
  });

  it('refuses a --metrics value that is not a URL', () => {
    const r = mdc(['studio', '--workspace', ws, '--port', '0', '--metrics', 'nope']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /MDC_USAGE: --metrics nope/);
  });

  it('serves the page and the API on loopback, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'studio', '--workspace', ws, '--port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 30_000);
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          const m = /mdc studio: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.on('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
      });
      const info = (await (await fetch(`${url}api/info`)).json()) as { workspace: string };
      assert.equal(info.workspace, ws);
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<div id="app">/);
      const code = await new Promise<number | null>((resolve) => {
        child.on('exit', resolve);
        child.kill('SIGTERM');
      });
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
