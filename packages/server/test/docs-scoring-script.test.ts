// docs/serve.md's scoring-script example, taken from the file as it is: its three files, its serve line and its
// curl line, run as a reader would, and the answer the doc shows.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { ROOT, readEvents, startCli, tempDir } from './helpers/cli.js';

const doc = readFileSync(join(ROOT, 'docs/serve.md'), 'utf8');
const section = doc.slice(doc.indexOf('### Scoring scripts'), doc.indexOf('### HTTP surface'));

/** The fenced block of `lang` that follows the first mention of `name` in the section. */
function blockAfter(name: string, lang: string): string {
  const at = section.indexOf(name);
  assert.ok(at >= 0, `docs/serve.md no longer names ${name}`);
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(section.slice(at));
  assert.ok(m, `no ${lang} block after ${name}`);
  return m[1]!;
}

test("docs/serve.md's scoring-script example serves the answer it shows, and collects both rows", async (t) => {
  const dir = join(await tempDir(t), 'my-model');
  for (const [file, lang] of [
    ['deployment.yml', 'yaml'],
    ['model/weights.json', 'json'],
    ['score.mjs', 'js'],
  ] as const) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), blockAfter(`\`${file}\``, lang));
  }
  const sh = blockAfter('second terminal', 'sh').trim().split('\n');
  const serve = sh.find((l) => l.startsWith('npx mdc serve'));
  const curl = sh.find((l) => l.startsWith('curl '));
  const expected = sh.find((l) => l.startsWith('# {'))?.slice(2);
  assert.ok(serve && curl && expected, sh.join('\n'));

  // The doc's serve line, on a free port instead of its fixed one, in the folder, with the folder's workspace.
  const args = serve.split(/\s+/).slice(2);
  const port = args.indexOf('--port');
  if (port >= 0) args.splice(port, 2);
  const ws = join(dir, 'mdc-workspace');
  const cli = await startCli(
    t,
    [...args.map((a) => (a === 'deployment.yml' ? join(dir, a) : a)), '--port', '0'],
    {
      env: { MDC_WORKSPACE: ws },
    },
  );
  const docPort = /localhost:(\d+)/.exec(curl)![1]!;
  const answer = execFileSync(
    'sh',
    ['-c', curl.replace(`localhost:${docPort}`, cli.url.replace('http://', ''))],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(answer, expected);
  assert.equal(await cli.stop(), 0);
  const inputs = readEvents(ws, 'linear', 'blue', 'model_inputs');
  const outputs = readEvents(ws, 'linear', 'blue', 'model_outputs');
  assert.equal(inputs.length, 1);
  assert.deepEqual(inputs[0]!.data, JSON.parse(/-d '(.*)'/.exec(curl)![1]!).rows);
  assert.deepEqual(outputs[0]!.data, JSON.parse(expected).predictions);
  assert.equal(outputs[0]!.correlationid, inputs[0]!.correlationid);
});
