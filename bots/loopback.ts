import { resolveWithSystem, type ResolveAll } from '../services/notify/destination';
import { isIPv4 } from 'node:net';

/**
 * Without bot credentials nobody is authenticated, so the bot door is only for the Agents
 * Playground or the Emulator on the same machine: requests from loopback clients, replies to a
 * loopback `serviceUrl`. Anything else would let any caller make the service POST to any host.
 */

/** 127.0.0.0/8 or ::1, IPv4-mapped forms included, as a socket reports the peer. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  if (isIPv4(v4)) return v4.startsWith('127.');
  return address === '::1';
}

/** `localhost`, a 127.0.0.0/8 address or `[::1]`, with an optional port: what a Host header on this machine says. */
const LOOPBACK_HOST_HEADER = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i;

/**
 * Whether a request was addressed to this machine by a loopback name (its `Host` header). The socket
 * alone does not tell: a web page the developer visits can make the browser post through a name
 * that it rebinds to 127.0.0.1 (DNS rebinding), the `Host` header still naming the page's site.
 */
export function isLoopbackHostHeader(host: string | undefined): boolean {
  if (host === undefined || !LOOPBACK_HOST_HEADER.test(host)) return false;
  const name = host.replace(/:\d+$/, '');
  return name.startsWith('127.') ? isIPv4(name) : true;
}

/**
 * Whether a request's `Origin` header, when there is one, is a page on this machine (http(s) on a
 * loopback host): a browser sends it with a cross-site POST, a channel or a root bot never does.
 */
export function isLoopbackOrigin(origin: string | undefined): boolean {
  if (origin === undefined) return true;
  if (!URL.canParse(origin)) return false; // `null` (a sandboxed page, a file) included
  const url = new URL(origin);
  return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHostHeader(url.host);
}


/**
 * Where to reply, without credentials, for `serviceUrl`; `null` when it may not be replied to.
 * http(s) only; a literal loopback address as the URL parser reads it (so `http://2130706433/` is
 * 127.0.0.1; never `0.0.0.0`) as it is; the exact name `localhost` (what the Emulator and the Agents
 * Playground send by default) when every address it resolves to is loopback (RFC 6761), rewritten to
 * one of them (`preferredLoopback`), so the replies connect to the address checked and the name is
 * never resolved again. Any other name is refused.
 */
export async function loopbackReplyUrl(serviceUrl: string, resolve: ResolveAll = resolveWithSystem): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(serviceUrl);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (isLoopbackHost(url.hostname)) return serviceUrl;
  if (url.hostname !== 'localhost') return null;
  const addresses = await resolve(url.hostname).catch(() => []);
  if (addresses.length === 0 || !addresses.every(isLoopbackAddress)) return null;
  const address = preferredLoopback(addresses);
  url.hostname = isIPv4(address) ? address : `[${address}]`;
  return url.href;
}

/**
 * Where to reply among the loopback addresses `localhost` resolves to: 127.0.0.1, else the first IPv4
 * one, else the first. A client listening on `localhost` with IPv4 only (most of them) is then
 * reached even where the resolver lists `::1` first.
 */
function preferredLoopback(addresses: string[]): string {
  return addresses.find((a) => a === '127.0.0.1') ?? addresses.find((a) => isIPv4(a)) ?? addresses[0];
}

/** A URL's hostname that is a literal loopback address. */
function isLoopbackHost(hostname: string): boolean {
  return hostname === '[::1]' || (isIPv4(hostname) && hostname.startsWith('127.'));
}
