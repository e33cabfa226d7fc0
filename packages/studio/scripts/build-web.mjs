#!/usr/bin/env node
// Bundles the studio page (web/) with esbuild into dist/public: index.html plus content-hashed assets.
// No CDN and nothing fetched at run time; the charts (uPlot) are a separate chunk loaded when a page draws one.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const pkg = fileURLToPath(new URL('..', import.meta.url));

/** Builds the page into `outDir` (default `dist/public`); returns the asset names and their sizes. */
export async function buildWeb({ outDir = join(pkg, 'dist', 'public'), minify = true } = {}) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'assets'), { recursive: true });
  const result = await build({
    absWorkingDir: pkg,
    entryPoints: { app: 'web/main.tsx' },
    outdir: join(outDir, 'assets'),
    bundle: true,
    splitting: true,
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify,
    sourcemap: false,
    entryNames: '[name]-[hash]',
    chunkNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const outputs = Object.entries(result.metafile.outputs).map(([path, o]) => ({
    name: basename(path),
    bytes: o.bytes,
    entry: o.entryPoint !== undefined,
    css: path.endsWith('.css'),
  }));
  const js = outputs.find((o) => o.entry && !o.css);
  const css = outputs.find((o) => o.css);
  if (!js) throw new Error('esbuild produced no entry script');
  writeFileSync(join(outDir, 'index.html'), indexHtml(js.name, css?.name));
  return outputs;
}

function indexHtml(script, style) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>mdc studio</title>
<link rel="icon" href="data:,">
${style ? `<link rel="stylesheet" href="/assets/${style}">\n` : ''}<script type="module" src="/assets/${script}"></script>
</head>
<body>
<div id="app"><header class="top"><span class="brand">mdc studio</span></header><main><p class="muted">Loading…</p></main></div>
<noscript>mdc studio needs JavaScript. The JSON API is under /api/.</noscript>
</body>
</html>
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outputs = await buildWeb();
  const total = outputs.reduce((n, o) => n + o.bytes, 0);
  console.log(
    `studio page: ${outputs.map((o) => `${o.name} ${(o.bytes / 1024).toFixed(1)} KiB`).join(', ')} (total ${(total / 1024).toFixed(1)} KiB)`,
  );
}
