import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { destinationProblem } from '../../services/notify/destination';
import { decryptSecret, encryptSecret, generateSigningSecret } from '../../services/notify/secret';
import { signatureHeaders, verifySignature } from '../../services/notify/signature';

/** Signing, docs/notifications.md's verification example, secrets at rest, and where notifications may go. */

type Verify = (secret: string, headers: Record<string, unknown>, body: string, nowSeconds?: number) => boolean;

/** docs/notifications.md's `// verify-webhook.js` block, run as the receiver would run it. */
function readmeVerify(): Verify {
  const readme = readFileSync(join(__dirname, '../../docs/notifications.md'), 'utf8');
  const code = /```js\n(\/\/ verify-webhook\.js\n[\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(code, 'docs/notifications.md has the verification example');
  const module = { exports: {} as { verify?: Verify } };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const run = new Function('require', 'module', code) as (req: NodeJS.Require, mod: typeof module) => void;
  run(require, module);
  return module.exports.verify!;
}

describe('notification signatures (Standard Webhooks)', () => {
  const secret = generateSigningSecret();
  const body = '{"id":"e1","cpfCnpj":"02789078220","email":"maria@exemplo.com.br"}';
  const now = 1_764_700_000;
  const headers: Record<string, string> = { ...signatureHeaders([secret], 'e1', now, body) };
  const verifyFromReadme = readmeVerify();

  const cases: [string, string, Record<string, unknown>, string, number, boolean][] = [
    ['the signed request', secret, headers, body, now, true],
    ['five minutes later', secret, headers, body, now + 300, true],
    ['an altered body', secret, headers, body.replace('maria', 'mario'), now, false],
    ['another secret', generateSigningSecret(), headers, body, now, false],
    ['another id', secret, { ...headers, 'webhook-id': 'e2' }, body, now, false],
    ['an old timestamp', secret, headers, body, now + 301, false],
    ['a timestamp that is not a number', secret, { ...headers, 'webhook-timestamp': 'agora' }, body, now, false],
    ['a missing signature', secret, { ...headers, 'webhook-signature': undefined }, body, now, false],
    ['several signatures, one right', secret, { ...headers, 'webhook-signature': `v1,AAAA ${headers['webhook-signature']}` }, body, now, true],
    ['a signature of another version', secret, { ...headers, 'webhook-signature': headers['webhook-signature'].replace('v1,', 'v2,') }, body, now, false],
  ];

  for (const [what, key, h, b, at, expected] of cases) {
    it(`${expected ? 'accepts' : 'refuses'} ${what}, in the service and in docs/notifications.md's example alike`, () => {
      assert.equal(verifySignature(key, h as Record<string, string | undefined>, b, at), expected);
      assert.equal(verifyFromReadme(key, h, b, at), expected);
    });
  }

  it('signs under each secret given, space-separated, so a receiver holding either verifies', () => {
    const other = generateSigningSecret();
    const both: Record<string, string> = { ...signatureHeaders([secret, other], 'e1', now, body) };
    assert.match(both['webhook-signature'], /^v1,\S+ v1,\S+$/);
    for (const holding of [secret, other]) {
      assert.equal(verifySignature(holding, both, body, now), true);
      assert.equal(verifyFromReadme(holding, both, body, now), true);
    }
    assert.equal(verifySignature(generateSigningSecret(), both, body, now), false);
  });

  it('signs in the format the specification gives: v1, and a base64 HMAC-SHA-256', () => {
    assert.equal(headers['webhook-id'], 'e1');
    assert.equal(headers['webhook-timestamp'], String(now));
    assert.match(headers['webhook-signature'], /^v1,[A-Za-z0-9+/]{43}=$/);
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  });
});

describe('signing secrets at rest', () => {
  const pepper = 'p'.repeat(32);

  it('are encrypted, a new way each time, and read back only under the same pepper, unaltered', () => {
    const secret = generateSigningSecret();
    const a = encryptSecret(secret, pepper);
    assert.notEqual(a, encryptSecret(secret, pepper));
    assert.ok(!a.includes(secret.slice(6, 20)));
    assert.equal(decryptSecret(a, pepper), secret);
    assert.throws(() => decryptSecret(a, 'q'.repeat(32)));
    const [version, iv, tag, data] = a.split('.');
    const flipped = Buffer.from(data, 'base64url');
    flipped[0] ^= 1;
    assert.throws(() => decryptSecret([version, iv, tag, flipped.toString('base64url')].join('.'), pepper));
    assert.throws(() => decryptSecret('texto', pepper));
  });

  it('are read under CODE_PEPPER_FALLBACK too, during a rotation', () => {
    const secret = generateSigningSecret();
    const underOld = encryptSecret(secret, pepper);
    assert.equal(decryptSecret(underOld, 'n'.repeat(32), pepper), secret);
    assert.equal(decryptSecret(encryptSecret(secret, 'n'.repeat(32)), 'n'.repeat(32), pepper), secret);
    assert.throws(() => decryptSecret(underOld, 'n'.repeat(32), 'q'.repeat(32)));
  });
});

describe('notification destinations', () => {
  for (const url of ['https://gsan.caer.com.br/validacoes', 'https://10.0.0.5:8443/x?y=1', 'http://localhost:8080/x', 'http://127.0.0.1:9/x', 'http://[::1]:9/x']) {
    it(`accepts ${url}`, () => assert.equal(destinationProblem(url), null));
  }
  for (const url of ['http://gsan.caer.com.br/x', 'http://10.0.0.5/x', 'ftp://x.com.br/', 'https://u:p@x.com.br/', 'https://x.com.br/#a', 'x.com.br', '']) {
    it(`refuses ${JSON.stringify(url)}`, () => assert.match(destinationProblem(url) ?? '', /./));
  }
});
