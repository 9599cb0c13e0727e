import { strict as assert } from 'node:assert';
import { lookup } from 'node:dns/promises';
import { isLoopbackHostHeader, isLoopbackOrigin, loopbackReplyUrl } from '../../bots/loopback';
import type { ResolveAll as Resolve } from '../../services/notify/destination';

/** A resolver that answers `addresses` for `localhost` and fails for any other name. */
const resolving =
  (addresses: string[]): Resolve =>
  async (hostname) => {
    if (hostname !== 'localhost') throw new Error(`unexpected lookup of ${hostname}`);
    return addresses;
  };

describe('where the bot replies without credentials (bots/loopback.ts)', () => {
  it('keeps a literal loopback serviceUrl as it is, without any lookup', async () => {
    for (const url of ['http://127.0.0.1:3978/', 'http://127.8.9.10/_connector', 'https://[::1]:56150/_connector', 'http://2130706433:80/']) {
      assert.equal(await loopbackReplyUrl(url, resolving([])), url);
    }
  });

  it('accepts the name localhost when it resolves to loopback only, and replies to the address checked: 127.0.0.1 first, then IPv4', async () => {
    assert.equal(await loopbackReplyUrl('http://localhost:56150/_connector', resolving(['127.0.0.1', '::1'])), 'http://127.0.0.1:56150/_connector');
    // A resolver listing ::1 first, and a client listening on 127.0.0.1 only: the replies still reach it.
    assert.equal(await loopbackReplyUrl('http://LOCALHOST:56150/_connector', resolving(['::1', '127.0.0.1'])), 'http://127.0.0.1:56150/_connector');
    assert.equal(await loopbackReplyUrl('http://localhost:56150/', resolving(['::1', '127.0.0.2', '127.0.0.1'])), 'http://127.0.0.1:56150/');
    assert.equal(await loopbackReplyUrl('http://localhost:56150/', resolving(['::1', '127.0.0.2'])), 'http://127.0.0.2:56150/');
    assert.equal(await loopbackReplyUrl('https://localhost/v3/', resolving(['127.0.0.2'])), 'https://127.0.0.2/v3/');
    assert.equal(await loopbackReplyUrl('http://localhost:56150/', resolving(['::1'])), 'http://[::1]:56150/');
  });

  it('refuses localhost when any address it resolves to is not loopback, or when it does not resolve', async () => {
    assert.equal(await loopbackReplyUrl('http://localhost:56150/', resolving(['127.0.0.1', '10.0.0.5'])), null);
    assert.equal(await loopbackReplyUrl('http://localhost:56150/', resolving(['192.168.1.10'])), null);
    assert.equal(await loopbackReplyUrl('http://localhost:56150/', resolving([])), null);
    assert.equal(await loopbackReplyUrl('http://localhost:56150/', () => Promise.reject(new Error('ENOTFOUND'))), null);
  });

  it('refuses every other name, without looking it up, and anything but http(s)', async () => {
    const urls = ['http://localhost.:1/', 'http://app.localhost:1/', 'http://localhost.localdomain:1/', 'http://example.com/',
      'http://0.0.0.0:1/', 'ftp://127.0.0.1/', 'file:///etc/passwd', 'not a url'];
    for (const url of urls) assert.equal(await loopbackReplyUrl(url, resolving(['127.0.0.1'])), null, url);
  });

  it("on this machine, localhost is taken and rewritten to an address the system resolves it to, IPv4 first", async () => {
    const all = await lookup('localhost', { all: true, order: 'verbatim' });
    const chosen = all.find((a) => a.address === '127.0.0.1') ?? all.find((a) => a.family === 4) ?? all[0];
    const host = chosen.family === 6 ? `[${chosen.address}]` : chosen.address;
    assert.equal(await loopbackReplyUrl('http://localhost:56150/_connector'), `http://${host}:56150/_connector`);
  });

  it('takes a Host header of localhost, 127.0.0.0/8 or [::1] only, with an optional port (no DNS rebinding)', () => {
    for (const host of ['localhost', 'LocalHost:3978', '127.0.0.1', '127.255.0.9:80', '[::1]', '[::1]:3978']) assert.ok(isLoopbackHostHeader(host), host);
    for (const host of [undefined, '', 'rebind.attacker.example', 'localhost.attacker.example', '127.0.0.1.nip.io', '127.0.0.999', '127.1',
      '2130706433', '0.0.0.0', '[::]', '[::ffff:127.0.0.1]', 'a@localhost', 'localhost:', 'localhost:3978/x', '10.0.0.1']) {
      assert.ok(!isLoopbackHostHeader(host), String(host));
    }
  });

  it('takes no Origin header, or one of a page on a loopback host; no other site, no null', () => {
    for (const origin of [undefined, 'http://localhost:56150', 'https://127.0.0.1', 'http://[::1]:8080']) assert.ok(isLoopbackOrigin(origin), String(origin));
    for (const origin of ['null', '', 'https://attacker.example', 'http://rebind.attacker.example:3978', 'file://', 'chrome-extension://abc', 'http://localhost.attacker.example']) {
      assert.ok(!isLoopbackOrigin(origin), origin);
    }
  });
});
