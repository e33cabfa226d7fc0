// `npm run bench -- faults`: the fault suite at full size — 10,000 malformed inputs per fuzz target and 20 SIGKILLs
// (npm test runs a few hundred per target and 5 kills). Prints each part's figures (docs/reliability.md).
import { spawnSync } from 'node:child_process';

const root = new URL('../../../', import.meta.url).pathname;
const env = {
  ...process.env,
  MDC_FUZZ_COUNT: process.env.MDC_FUZZ_COUNT || '10000',
  MDC_KILL_ROUNDS: process.env.MDC_KILL_ROUNDS || '20',
  MDC_TEST_SKIP_BUILD: '1',
};
console.log(
  `MDC_FUZZ_COUNT=${env.MDC_FUZZ_COUNT} MDC_KILL_ROUNDS=${env.MDC_KILL_ROUNDS}${env.MDC_FUZZ_SEED ? ` MDC_FUZZ_SEED=${env.MDC_FUZZ_SEED}` : ''}`,
);
const started = Date.now();
const r = spawnSync(process.execPath, ['scripts/run-tests.mjs', 'server/test/fuzz-', 'server/test/faults-'], {
  cwd: root,
  env,
  stdio: 'inherit',
});
console.log(`fault suite: ${Math.round((Date.now() - started) / 1000)} s`);
process.exit(r.status ?? 1);
