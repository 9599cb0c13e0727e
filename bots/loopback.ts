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

/**
 * A `serviceUrl` the bot may reply to without credentials: http(s) to a literal loopback address,
 * as the URL parser reads it (so `http://2130706433/` is 127.0.0.1), never `0.0.0.0` or a name.
 */
export function isLoopbackServiceUrl(serviceUrl: string): boolean {
  let url: URL;
  try {
    url = new URL(serviceUrl);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return url.hostname === '[::1]' || (isIPv4(url.hostname) && url.hostname.startsWith('127.'));
}
