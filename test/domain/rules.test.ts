import { strict as assert } from 'node:assert';
import { generateCode, hashCode, parseCode, sameHash } from '../../services/domain/code';
import { ConfigError, loadConfig } from '../../services/runtime/config';
import { normalizeDocument, parseDocument } from '../../services/domain/document';
import { maskEmail, parseEmail, sameEmail } from '../../services/domain/email';
import { parseSmtpUrl } from '../../services/mail/smtpUrl';
import { databaseName } from '../../services/store/mongo';

describe('CPF/CNPJ', () => {
  it('ignores spaces and . / -, and upper-cases letters', () => {
    assert.equal(normalizeDocument(' 12.abc.345/01de-35 '), '12ABC34501DE35');
    assert.equal(parseDocument('027.890.782-20'), '02789078220');
    assert.equal(parseDocument('12.abc.345/01de-35'), '12ABC34501DE35');
    assert.equal(parseDocument('11.222.333/0001-81'), '11222333000181');
  });

  it('refuses wrong check digits, repeated digits, other lengths and other characters', () => {
    for (const bad of ['02789078221', '00000000000', '11111111111', '0278907822', '027890782200', '12ABC34501DE3A', '027_890_782_20', '０２７８９０７８２２０', '027.890.782-20x']) {
      assert.equal(parseDocument(bad), null, bad);
    }
  });
});

describe('email', () => {
  it('masks as docs/api.md §1 says', () => {
    assert.equal(maskEmail('aaaxxxxbbb@email.com'), 'aaa*****bbb@email.com');
    assert.equal(maskEmail('joao@x.com'), 'j*****o@x.com');
    assert.equal(maskEmail('ab@x.com'), '*****@x.com');
    assert.equal(maskEmail('abcdef@x.com'), 'ab*****ef@x.com');
  });

  it('accepts one trimmed address of at most 254 characters', () => {
    assert.equal(parseEmail('  Maria.Silva+agua@caer.com.br '), 'Maria.Silva+agua@caer.com.br');
    assert.equal(parseEmail(`${'a'.repeat(64)}@${'b'.repeat(61)}.${'c'.repeat(61)}.${'d'.repeat(61)}.com`)?.length, 254);
    for (const bad of ['', 'a', 'a@', '@b.com', 'a@b', 'a@@b.com', 'a b@c.com', 'a@b.com,c@d.com', 'Maria <a@b.com>', 'a@b.com\n', 'a\r\n@b.com', 'a\u0000@b.com', '.a@b.com', 'a..b@c.com', `${'a'.repeat(65)}@b.com`, `${'a'.repeat(64)}@${'b'.repeat(190)}.com`]) {
      assert.equal(parseEmail(bad), null, JSON.stringify(bad));
    }
  });

  it('compares case-insensitively', () => {
    assert.ok(sameEmail('A@B.com', 'a@b.COM'));
    assert.ok(!sameEmail('a@b.com', 'a@c.com'));
  });
});

describe('codes', () => {
  it('are six digits, spread over the whole range', () => {
    const codes = Array.from({ length: 2000 }, generateCode);
    assert.ok(codes.every((c) => /^\d{6}$/.test(c)));
    assert.ok(new Set(codes).size > 1990);
    assert.ok(codes.some((c) => c.startsWith('0')));
  });

  it('are read from what a person types', () => {
    assert.equal(parseCode(' 123 456 '), '123456');
    assert.equal(parseCode('12345'), null);
    assert.equal(parseCode('１２３４５６'), null);
  });

  it('are stored as an HMAC under the pepper', () => {
    assert.notEqual(hashCode('123456', 'p1'), hashCode('123456', 'p2'));
    assert.ok(sameHash(hashCode('123456', 'p1'), hashCode('123456', 'p1')));
    assert.ok(!sameHash(hashCode('123456', 'p1'), hashCode('123457', 'p1')));
    assert.ok(!sameHash('ab', 'abcd'));
  });
});

describe('configuration', () => {
  it('has embedded defaults for everything', () => {
    const c = loadConfig({});
    assert.equal(c.port, 8080);
    assert.equal(c.mongo, null);
    assert.equal(c.smtp, null);
    assert.equal(c.seedDemo, true);
    assert.equal(c.codeTtlMinutes, 10);
    assert.equal(c.publicUrl, 'http://localhost:8080');
    assert.ok(c.codePepper.length >= 32);
  });

  it('reads a yes or no in any case', () => {
    for (const [text, value] of [['TRUE', true], ['Yes', true], [' 1 ', true], ['False', false], ['NO', false], ['0', false]] as const) {
      assert.equal(loadConfig({ SEED_DEMO: text }).seedDemo, value, text);
    }
  });

  it('stops on a bad value with one line naming the variable, never its value', () => {
    const cases: [Record<string, string>, string][] = [
      [{ PORT: 'abc' }, 'PORT'],
      [{ PORT: '70000' }, 'PORT'],
      [{ SMTP_URL: 'http://x' }, 'SMTP_URL'],
      // docs/api.md §4: a password with a raw `#` or `%`, a query that would turn TLS off, plain text off loopback or with a password.
      [{ SMTP_URL: 'smtp://gsan:ab#cd@mail.exemplo.com.br:587' }, 'SMTP_URL'],
      [{ SMTP_URL: 'smtp://gsan:50%off@mail.exemplo.com.br:587' }, 'SMTP_URL'],
      [{ SMTP_URL: 'smtp://mail.exemplo.com.br:587?ignoreTLS=true' }, 'SMTP_URL'],
      [{ SMTP_URL: 'smtp://mail.exemplo.com.br:25', SMTP_PLAIN_LOOPBACK: 'true' }, 'SMTP_PLAIN_LOOPBACK'],
      [{ SMTP_URL: 'smtp://gsan:segredo@127.0.0.1:25', SMTP_PLAIN_LOOPBACK: 'true' }, 'SMTP_PLAIN_LOOPBACK'],
      [{ SMTP_BOUNCE_ADDRESS: 'devolucoes' }, 'SMTP_BOUNCE_ADDRESS'],
      [{ DNS_SERVERS: 'dns.exemplo.com.br' }, 'DNS_SERVERS'],
      [{ DKIM_DOMAIN: 'x_y' }, 'DKIM_DOMAIN'],
      [{ MONGODB_URI: 'mongodb://db' }, 'CODE_PEPPER'],
      [{ CODE_PEPPER: 'curto-demais' }, 'CODE_PEPPER'],
      [{ CODE_PEPPER: 'p'.repeat(32), CODE_PEPPER_FALLBACK: 'curto-demais' }, 'CODE_PEPPER_FALLBACK'],
      [{ CODE_PEPPER_FALLBACK: 'f'.repeat(32) }, 'CODE_PEPPER_FALLBACK'],
      [{ CODE_PEPPER: 'p'.repeat(32), CODE_PEPPER_FALLBACK: 'p'.repeat(32) }, 'CODE_PEPPER_FALLBACK'],
      [{ CODE_TTL_MINUTES: '999' }, 'CODE_TTL_MINUTES'],
      [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
      [{ SEED_DEMO: 'sim' }, 'SEED_DEMO'],
    ];
    for (const [env, name] of cases) {
      assert.throws(
        () => loadConfig(env),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.message.startsWith(`Configuração inválida: ${name}:`) &&
          !err.message.includes('\n') &&
          Object.values(env).every((v) => !err.message.includes(v)),
        JSON.stringify(env),
      );
    }
  });

  it('reads SMTP_URL once, percent-encoded password and all, and looks domains up only with SMTP (docs/api.md §7)', () => {
    const c = loadConfig({ SMTP_URL: 'smtp://gsan:p%40ss%23%25@mail.exemplo.com.br:587', DNS_SERVERS: '10.0.0.2, [::1]:5353' });
    assert.deepEqual(parseSmtpUrl(c.smtp!.url), { host: 'mail.exemplo.com.br', port: 587, secure: false, auth: { user: 'gsan', pass: 'p@ss#%' } });
    assert.deepEqual(c.domainCheck, { servers: ['10.0.0.2', '[::1]:5353'] });
    assert.equal(loadConfig({ SMTP_URL: 'smtps://mail.exemplo.com.br', MAIL_DOMAIN_CHECK: 'false' }).domainCheck, null);
    assert.equal(loadConfig({ DNS_SERVERS: '10.0.0.2' }).domainCheck, null);
    assert.equal(loadConfig({ SMTP_URL: 'smtp://127.0.0.1:2525', SMTP_PLAIN_LOOPBACK: 'true' }).smtp!.plainLoopback, true);
  });

  it('requires the same pepper everywhere when state is shared', () => {
    const c = loadConfig({ MONGODB_URI: 'mongodb://db:27017/x', CODE_PEPPER: 'p'.repeat(32) });
    assert.equal(c.codePepper, 'p'.repeat(32));
    assert.equal(c.codePepperFallback, undefined);
    assert.equal(c.seedDemo, false);
    const rotating = loadConfig({ MONGODB_URI: 'mongodb://db:27017/x', CODE_PEPPER: 'p'.repeat(32), CODE_PEPPER_FALLBACK: 'f'.repeat(32) });
    assert.equal(rotating.codePepperFallback, 'f'.repeat(32));
  });
});

describe('MongoDB database name', () => {
  it('is MONGODB_DB, else the one the URI names, else gsan_email_validation', () => {
    assert.equal(databaseName('mongodb://db:27017/agua', 'outra'), 'outra');
    assert.equal(databaseName('mongodb://u:p@db1:27017,db2:27017/agua?replicaSet=rs0'), 'agua');
    assert.equal(databaseName('mongodb+srv://cluster.exemplo.net/agua%2Dcaer'), 'agua-caer');
    assert.equal(databaseName('mongodb://db:27017/?retryWrites=true'), 'gsan_email_validation');
    assert.equal(databaseName('mongodb://db:27017'), 'gsan_email_validation');
  });
});
