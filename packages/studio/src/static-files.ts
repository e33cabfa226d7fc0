import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** Where the build puts the page (index.html and hashed assets), next to the compiled server. */
export const DEFAULT_PUBLIC_DIR = fileURLToPath(new URL('../dist/public', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
  '.ico': 'image/x-icon',
};

export interface StaticFile {
  readonly body: Buffer;
  /** The body gzipped once at load, for text files. */
  readonly gzip?: Buffer;
  readonly type: string;
  readonly etag: string;
  /** Hashed asset names never change content: cache them for good. */
  readonly immutable: boolean;
}

/** Loads the built page into memory (it is small): URL path (`/index.html`, `/assets/…`) to file. */
export function loadStaticFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const body = readFileSync(p);
        const url = `/${relative(dir, p).split(sep).join('/')}`;
        const type = TYPES[extname(name)] ?? 'application/octet-stream';
        files.set(url, {
          body,
          ...(/^(text\/|application\/json|image\/svg)/.test(type)
            ? { gzip: gzipSync(body, { level: 9 }) }
            : {}),
          type,
          etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"`,
          immutable: url.startsWith('/assets/'),
        });
      }
    }
  };
  walk(dir);
  return files;
}
