import { register } from 'node:module';
import { ScriptLoadError } from 'model-data-collector/internal';

/**
 * Module hooks for scoring scripts, run in Node's loader thread:
 * - `model-data-collector` always resolves to the SDK this server runs, so a script needs nothing installed in
 *   its folder and its Collectors share the server's module instance (and so its default runtime);
 * - a `.js` / `.ts` file outside node_modules that uses `import`/`export` with no `"type": "module"` package.json
 *   is loaded as ES module instead of failing as CommonJS.
 */
const HOOKS = `
import { readFile } from 'node:fs/promises';
let sdkUrl;
export async function initialize(data) { sdkUrl = data.sdkUrl; }
const esm = /^\\s*(import\\s*[\\w{*'"]|export\\s+(default|const|let|var|function|async|class|type|interface|\\{|\\*))/m;
const cjs = /\\b(module\\.exports|exports\\.[\\w$]+\\s*=|require\\s*\\()/;
const candidate = /\\.(js|ts)$/;
export async function resolve(specifier, context, next) {
  if (specifier === 'model-data-collector') return { url: sdkUrl, shortCircuit: true };
  const result = await next(specifier, context);
  const { url, format } = result;
  if ((format === 'commonjs' || format == null) && url.startsWith('file:') && candidate.test(url) && !url.includes('/node_modules/')) {
    const source = await readFile(new URL(url), 'utf8').catch(() => '');
    if (esm.test(source) && !cjs.test(source)) return { ...result, format: 'module' };
  }
  return result;
}
`;

let sdkHookInstalled = false;
let typeScriptInstalled = false;

/** Installs the hooks above once per process. */
export function installScriptHooks(): void {
  if (sdkHookInstalled) return;
  sdkHookInstalled = true;
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, {
    data: { sdkUrl: import.meta.resolve('model-data-collector') },
  });
}

/** Lets Node import `.ts` scoring scripts, through tsx's loader API. */
export async function installTypeScript(script: string): Promise<void> {
  if (typeScriptInstalled) return;
  let api: { register: () => unknown };
  try {
    api = (await import('tsx/esm/api')) as { register: () => unknown };
  } catch (err) {
    throw new ScriptLoadError(
      `${script} is TypeScript, which needs the tsx package next to mdc (npm install tsx)`,
      { cause: err },
    );
  }
  api.register();
  typeScriptInstalled = true;
}
