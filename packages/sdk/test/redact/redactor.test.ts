// The redactor on event data (JSON text): columns at any depth, patterns in string values, exact bytes elsewhere.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { resolveDeployment } from '../../src/deployment-config.js';
import { Redactor, type RedactRule, resolveRedactRules, rulesFor } from '../../src/redact/index.js';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
const hmac = (s: string) => createHmac('sha256', KEY).update(s).digest('hex');
const rules = (...r: Parameters<typeof resolveRedactRules>[0]) => resolveRedactRules(r);

describe('Redactor on JSON text', () => {
  it('drops, masks and hashes named columns of tabular rows, keeping the other bytes', () => {
    const r = new Redactor(
      rules(
        { columns: ['EMAIL'], action: 'hash' },
        { columns: ['SSN'], action: 'drop' },
        { columns: ['NAME'], action: 'mask' },
      ),
      () => KEY,
    );
    const json = '[{"EMAIL":"a@b.io","SSN":"123","age":7,"NAME":"Ann"},{"age":9,"SSN":4,"EMAIL":42}]';
    assert.equal(
      r.redactJson(json),
      `[{"EMAIL":"${hmac('a@b.io')}","age":7,"NAME":"[REDACTED]"},{"age":9,"EMAIL":"${hmac('42')}"}]`,
    );
    assert.deepEqual(Object.fromEntries(r.counts), { 'redact[0]': 2, 'redact[1]': 2, 'redact[2]': 1 });
  });

  it('drops the last member and a nested object value, leaving valid JSON', () => {
    const r = new Redactor(rules({ columns: ['card'], action: 'drop' }));
    const json = '{"a": 1, "user": {"id": 5, "card": {"n": "4111", "x": [1, {"y": "}"}]}}, "card" : null}';
    const out = r.redactJson(json);
    assert.equal(out, '{"a": 1, "user": {"id": 5}}');
    assert.deepEqual(JSON.parse(out), { a: 1, user: { id: 5 } });
  });

  it('finds column keys by name without walking every string: a value equal to a name is not a key', () => {
    const r = new Redactor(
      rules({ columns: ['user'], action: 'drop' }, { columns: ['EMAIL'], action: 'mask' }),
    );
    const json = '{"a": "EMAIL", "EMAIL" : "x", "user": {"EMAIL": "y"}, "list": ["user", {"EMAIL": 1}]}';
    assert.equal(
      r.redactJson(json),
      '{"a": "EMAIL", "EMAIL" : "[REDACTED]", "list": ["user", {"EMAIL": "[REDACTED]"}]}',
    );
    assert.deepEqual(Object.fromEntries(r.counts), { 'redact[0]': 1, 'redact[1]': 2 });
  });

  it('masks pattern matches inside string values at any depth, not in keys, and keeps big integers exact', () => {
    const r = new Redactor(rules({ patterns: ['email', 'ACC-[0-9]{8}'], action: 'mask' }));
    const json =
      '{"a@b.io": "write to a@b.io or c.d@e.org", "n": 123456789012345678901234567890, "deep": [["ACC-12345678"]]}';
    assert.equal(
      r.redactJson(json),
      '{"a@b.io": "write to [REDACTED:email] or [REDACTED:email]", "n": 123456789012345678901234567890, "deep": [["[REDACTED]"]]}',
    );
  });

  it('finds matches hidden by JSON escapes, and a text payload stored as a JSON string', () => {
    const r = new Redactor(rules({ patterns: ['email'], action: 'hash' }), () => KEY);
    assert.equal(r.redactJson('{"q": "mail \\u0061@b.io\\n"}'), `{"q": "mail ${hmac('a@b.io')}\\n"}`);
    assert.equal(r.redactJson('"from: a@b.io"'), `"from: ${hmac('a@b.io')}"`);
  });

  it('an anchored regex matches whole string values, though never the whole event text', () => {
    const r = new Redactor(rules({ patterns: ['^[0-9]{3}-[0-9]{4}$'], action: 'mask' }));
    assert.equal(
      r.redactJson('{"a": "555-1234", "b": "x 555-1234"}'),
      '{"a": "[REDACTED]", "b": "x 555-1234"}',
    );
    const u = new Redactor(rules({ patterns: ['[0-9]{3}-[0-9]{4}'], action: 'drop' }));
    assert.equal(u.redactJson('{"a": "call 555-1234 now"}'), '{"a": "call  now"}');
    assert.equal(u.redactJson('{"a": "nothing"}'), '{"a": "nothing"}');
  });

  it('finds a column whose key is written with escapes', () => {
    const r = new Redactor(rules({ columns: ['EMAIL'], action: 'mask' }));
    assert.equal(r.redactJson('{"\\u0045MAIL": "a@b.io"}'), '{"\\u0045MAIL": "[REDACTED]"}');
  });

  it('redacts raw bytes that are text (an octet-stream text body), and leaves binary bytes alone', () => {
    const r = new Redactor(rules({ patterns: ['email'], columns: ['EMAIL'], action: 'mask' }));
    const text = r.apply({ raw: Buffer.from('EMAIL      AGE\nann@b.io   41\n') });
    assert.equal(Buffer.from(text.raw!).toString(), 'EMAIL      AGE\n[REDACTED:email]   41\n');
    const png = {
      raw: Uint8Array.from([
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x61, 0x40, 0x62, 0x2e, 0x69, 0x6f,
      ]),
    };
    assert.equal(r.apply(png), png);
    const controls = { raw: Buffer.from('a@b.io\u0000') };
    assert.equal(r.apply(controls), controls);
  });

  it('returns the very same string when nothing matches', () => {
    const r = new Redactor(rules({ patterns: ['email'], columns: ['EMAIL'], action: 'mask' }));
    const json = '[{"x": "no at sign here", "y": 1}]';
    assert.equal(r.redactJson(json), json);
    const input = { json };
    assert.equal(r.apply(input), input);
  });

  it('applies a rule only to its collections', () => {
    const all = rules(
      { patterns: ['email'], action: 'mask', collections: ['request'] },
      { columns: ['EMAIL'], action: 'drop' },
    );
    assert.deepEqual(
      rulesFor(all, 'request').map((r: RedactRule) => r.label),
      ['redact[0]', 'redact[1]'],
    );
    assert.deepEqual(
      rulesFor(all, 'model_inputs').map((r) => r.label),
      ['redact[1]'],
    );
  });

  it('uses a named rule as its metric label and a custom mask replacement', () => {
    const r = new Redactor(
      rules({ name: 'accounts', patterns: ['ACC-[0-9]{8}'], action: 'mask', replacement: 'ACC-########' }),
    );
    assert.equal(r.redactString('pay ACC-00000001 now'), 'pay ACC-######## now');
    assert.equal(r.counts.get('accounts'), 1);
  });
});

describe('data_collector.redact validation', () => {
  const deploy = (redact: unknown) =>
    resolveDeployment({ data_collector: { collections: { request: { enabled: true } }, redact } });
  const issues = (redact: unknown) => {
    try {
      deploy(redact);
    } catch (err) {
      const e = err as { code: string; issues: { path: string; message: string }[] };
      return { code: e.code, paths: e.issues.map((i) => i.path), messages: e.issues.map((i) => i.message) };
    }
    assert.fail('expected the configuration to be refused');
  };

  it("parses the issue's example", () => {
    const d = deploy([
      { columns: ['EMAIL', 'PHONE'], action: 'hash' },
      {
        patterns: ['email', 'credit_card', 'iban', 'phone', 'ipv4', 'ACC-[0-9]{8}'],
        action: 'mask',
        collections: ['request', 'response', 'model_inputs'],
      },
    ]);
    assert.equal(d.redact?.length, 2);
    assert.deepEqual(d.redact?.[1]?.collections, ['request', 'response', 'model_inputs']);
  });

  it('names the key path of a bad rule, with MDC_INVALID_CONFIG', () => {
    const bad = issues([
      { columns: ['A'], action: 'hash' },
      { patterns: ['email', '(a+)+\\1'], action: 'mask' },
    ]);
    assert.equal(bad.code, 'MDC_INVALID_CONFIG');
    assert.deepEqual(bad.paths, ['data_collector.redact[1].patterns[1]']);
    assert.match(bad.messages[0] ?? '', /linear time/);
    assert.deepEqual(issues([{ columns: ['A'], action: 'erase' }]).paths, [
      'data_collector.redact[0].action',
    ]);
    assert.deepEqual(issues([{ action: 'mask' }]).paths, ['data_collector.redact[0]']);
    assert.deepEqual(issues([{ columns: ['A'], action: 'mask', colections: ['x'] }]).paths, [
      'data_collector.redact[0]',
    ]);
    assert.deepEqual(issues([{ patterns: ['x*'], action: 'mask' }]).paths, [
      'data_collector.redact[0].patterns[0]',
    ]);
    assert.deepEqual(issues([{ patterns: ['(?=a)b'], action: 'mask' }]).paths, [
      'data_collector.redact[0].patterns[0]',
    ]);
  });
});

describe("a user pattern's leading literal", () => {
  it('is the text every match starts with, or none', async () => {
    const { literalPrefix } = await import('../../src/redact/user-regex.js');
    assert.equal(literalPrefix('ACC-[0-9]{8}'), 'ACC-');
    assert.equal(literalPrefix('ab?c'), 'a');
    assert.equal(literalPrefix('ab+'), 'ab');
    assert.equal(literalPrefix('a{2}b'), undefined);
    assert.equal(literalPrefix('(?i)acc-[0-9]+'), undefined);
    assert.equal(literalPrefix('ACC-1|BCC-2'), undefined);
    assert.equal(literalPrefix('\\d{4}'), undefined);
  });
});

describe('HMAC-SHA256', () => {
  it('equals node:crypto for keys and values of every length around the block sizes', async () => {
    const { randomBytes } = await import('node:crypto');
    const { HmacSha256 } = await import('../../src/redact/hmac.js');
    for (const keyBytes of [1, 16, 32, 63, 64, 65, 200]) {
      const key = randomBytes(keyBytes);
      const h = new HmacSha256(key);
      for (let n = 0; n < 200; n++) {
        const value = n % 4 === 0 ? 'é😀x'.repeat(n) : randomBytes(n).toString('latin1');
        assert.equal(h.hex(value), createHmac('sha256', key).update(value).digest('hex'), `${keyBytes}/${n}`);
      }
    }
  });
});
