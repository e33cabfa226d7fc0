import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InitFailedError, ScriptLoadError } from 'model-data-collector/internal';
import { installScriptHooks, installTypeScript } from './module-hooks.js';
import type { ScoreRequestInfo, Scorer } from './scorer.js';

interface ScriptModule {
  init?: () => unknown;
  run?: (data: unknown, request: ScoreRequestInfo) => unknown;
  shutdown?: () => unknown;
}

const TS = new Set(['.ts', '.mts', '.cts']);

/**
 * Imports a scoring script (`score.js`, `score.mjs`, `score.ts`) that exports `init()` and `run(data)`, like the
 * reference's `score.py`. A CommonJS script's `module.exports` works too. Throws MDC_SCRIPT_LOAD_FAILED.
 */
export async function loadScoringScript(script: string): Promise<Scorer> {
  if (TS.has(extname(script))) await installTypeScript(script);
  installScriptHooks();
  let mod: ScriptModule & { default?: ScriptModule };
  try {
    mod = (await import(pathToFileURL(script).href)) as ScriptModule & { default?: ScriptModule };
  } catch (err) {
    throw new ScriptLoadError(`cannot import scoring script ${script}: ${(err as Error)?.message ?? err}`, {
      cause: err,
    });
  }
  const exports: ScriptModule = typeof mod.run === 'function' ? mod : (mod.default ?? mod);
  const { init, run, shutdown } = exports;
  if (typeof run !== 'function') {
    throw new ScriptLoadError(`scoring script ${script} does not export a run(data) function`);
  }
  if (init !== undefined && typeof init !== 'function') {
    throw new ScriptLoadError(`scoring script ${script} exports init, but it is not a function`);
  }
  return {
    kind: 'script',
    description: script,
    async init() {
      try {
        await init?.call(exports);
      } catch (err) {
        throw new InitFailedError(`init() of ${script} failed: ${(err as Error)?.message ?? err}`, {
          cause: err,
        });
      }
    },
    run: async (data, request) => run.call(exports, data, request),
    async close() {
      if (typeof shutdown === 'function') await shutdown.call(exports);
    },
  };
}
