// Pins a package's main export: the names outsiders use are listed on purpose, and the `./internal` entry the
// other mdc packages import is a superset holding the very same objects.
import assert from 'node:assert/strict';

export function assertPublicApi(
  main: Record<string, unknown>,
  internal: Record<string, unknown>,
  expected: readonly string[],
): void {
  assert.deepEqual(Object.keys(main).sort(), [...expected].sort());
  for (const k of Object.keys(main)) assert.equal(internal[k], main[k], `internal.${k}`);
  assert.ok(
    Object.keys(internal).length > Object.keys(main).length,
    'the internal entry adds what the siblings need',
  );
}
