// Built-in redaction patterns on positive and negative examples: checksums, not look-alike digit runs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ibanValid, luhnValid, Redactor, resolveRedactRules } from '../../src/redact/index.js';

function maskWith(pattern: string): Redactor {
  return new Redactor(resolveRedactRules([{ patterns: [pattern], action: 'mask' }]));
}

const cases: Record<string, { yes: string[]; no: string[] }> = {
  email: {
    yes: ['ann.lee+ml@example.co.uk', 'x_y@sub.domain.io', 'BOB@EXAMPLE.COM'],
    no: ['not an email @ all', 'user@localhost', 'a@b', '@example.com'],
  },
  credit_card: {
    yes: ['4111 1111 1111 1111', '5500-0000-0000-0004', '378282246310005', '6011111111111117'],
    no: ['4111 1111 1111 1112', '1234567890123', '41111111111111111111111', 'order 12345678'],
  },
  iban: {
    yes: ['GB82 WEST 1234 5698 7654 32', 'DE89370400440532013000', 'FR1420041010050500013M02606'],
    no: ['GB82 WEST 1234 5698 7654 33', 'DE89370400440532013001', 'DE8937040044053201300', 'AB12'],
  },
  phone: {
    yes: ['+1 415 555 2671', '(415) 555-2671', '+44 20 7946 0958', '030 1234567', '555.123.4567'],
    no: ['3.14159265', '2024-11-30', '1,234,567', '12:30:45', 'v10.2.3', '42'],
  },
  ipv4: {
    yes: ['192.168.0.1', '10.0.0.255', '8.8.8.8'],
    no: ['256.1.1.1', '1.2.3', '1.2.3.4.5', '10.0.0.256'],
  },
};

describe('built-in patterns', () => {
  for (const [name, { yes, no }] of Object.entries(cases)) {
    it(`${name}: finds each positive example inside text, and no negative one`, () => {
      const r = maskWith(name);
      for (const s of yes) {
        assert.equal(r.redactString(`before ${s} after`), `before [REDACTED:${name}] after`, s);
      }
      for (const s of no) assert.equal(r.redactString(`before ${s} after`), `before ${s} after`, s);
      assert.equal(r.counts.get('redact[0]'), yes.length);
    });
  }

  it('Luhn and IBAN mod-97 checks', () => {
    assert.equal(luhnValid('79927398713'), false); // too short for a card, though the checksum holds
    assert.equal(luhnValid('4012888888881881'), true);
    assert.equal(luhnValid('4012888888881882'), false);
    assert.equal(ibanValid('NL91ABNA0417164300'), true);
    assert.equal(ibanValid('NL91ABNA0417164301'), false);
    assert.equal(ibanValid('NL91ABNA041716430'), false);
  });

  it('an IP address is one ipv4 match, not a phone number, when both patterns run', () => {
    const r = new Redactor(resolveRedactRules([{ patterns: ['ipv4', 'phone'], action: 'mask' }]));
    assert.equal(r.redactString('from 192.168.100.200 today'), 'from [REDACTED:ipv4] today');
  });

  it('stays linear on long hostile inputs (no catastrophic backtracking)', () => {
    const r = new Redactor(
      resolveRedactRules([{ patterns: ['email', 'credit_card', 'iban', 'phone', 'ipv4'], action: 'mask' }]),
    );
    const hostile = [
      'a'.repeat(200_000),
      `${'a.'.repeat(100_000)}@`,
      '1'.repeat(200_000),
      '1 '.repeat(100_000),
      `${'x@'.repeat(50_000)}`,
      '1.'.repeat(100_000),
      `AB12${' A'.repeat(100_000)}`,
    ];
    for (const s of hostile) {
      const t = process.hrtime.bigint();
      r.redactString(s);
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      assert.ok(ms < 1500, `${s.slice(0, 12)}… took ${ms} ms`);
    }
  });
});
