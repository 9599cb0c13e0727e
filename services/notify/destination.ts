import { lookup as systemLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { isLoopback } from '../mail/smtpUrl';

/**
 * Where a company's notifications may go (docs/security.md, "Notifications"): https, or plain http
 * to this machine only (development and tests); never a host that is, or resolves to, a link-local,
 * unspecified, multicast or cloud metadata address, nor the service's own database. Private ranges
 * stay allowed: GSAN usually runs on the utility's own network. Checked when the destination is
 * configured and again at each connection, on the address actually connected to (DNS may change).
 */

/** A host and port, as the database's connection string names them. */
export interface Endpoint {
  host: string;
  port: number;
}

/** Every address a name resolves to (the system's resolver, `dns.lookup`, unless a test brings one). */
export type ResolveAll = (hostname: string) => Promise<string[]>;

export interface DestinationRules {
  /** The service's own database (`MONGODB_URI`): never a destination. */
  database: readonly Endpoint[];
  resolve: ResolveAll;
}

export const resolveWithSystem: ResolveAll = (hostname) =>
  new Promise((resolve, reject) =>
    systemLookup(hostname, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses.map((a) => a.address)))),
  );

/** The rules of this service: its database from `MONGODB_URI` (none without one), the system's resolver. */
export function destinationRules(mongoUri: string | undefined, resolve: ResolveAll = resolveWithSystem): DestinationRules {
  return { database: mongoUri ? databaseEndpoints(mongoUri) : [], resolve };
}

/** The hosts and ports of a `mongodb://` connection string (`mongodb+srv://` names none: they come from DNS). */
export function databaseEndpoints(uri: string): Endpoint[] {
  const hosts = /^mongodb:\/\/(?:[^@/]*@)?([^/?]+)/.exec(uri)?.[1];
  if (!hosts) return [];
  return hosts.split(',').map((hostPort) => {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostPort);
    return { host: normalHost(m?.[1] ?? hostPort), port: Number(m?.[2] ?? 27017) };
  });
}

/** Addresses nothing may be sent to; an IPv4-mapped IPv6 address (`::ffff:169.254.169.254`) is held to the IPv4 rules. */
const FORBIDDEN = new BlockList();
FORBIDDEN.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network", 0.0.0.0 among them
FORBIDDEN.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, the cloud metadata service (169.254.169.254) among them
FORBIDDEN.addSubnet('224.0.0.0', 4, 'ipv4'); // multicast
FORBIDDEN.addAddress('255.255.255.255', 'ipv4'); // broadcast
FORBIDDEN.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud's metadata service
FORBIDDEN.addAddress('::', 'ipv6'); // unspecified
FORBIDDEN.addSubnet('fe80::', 10, 'ipv6'); // link-local
FORBIDDEN.addSubnet('ff00::', 8, 'ipv6'); // multicast
FORBIDDEN.addAddress('fd00:ec2::254', 'ipv6'); // AWS's metadata service over IPv6

/** Names of cloud metadata services, which may resolve to anything a cloud's DNS says. */
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

/** A hostname as compared here: lower case, no brackets, no trailing dot. */
function normalHost(hostname: string): string {
  return hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
}

/** Why an address may not be connected to, or `null`. */
function forbiddenAddress(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return null;
  const embedded = family === 6 ? embeddedIpv4(address) : null;
  const forbidden = FORBIDDEN.check(address, family === 4 ? 'ipv4' : 'ipv6') || (embedded !== null && FORBIDDEN.check(embedded, 'ipv4'));
  return forbidden ? `o endereço ${address} é de rede local de enlace, não especificado, multicast ou de metadados da nuvem` : null;
}

/**
 * The IPv4 address an IPv6 one carries: in its last 32 bits when it is IPv4-compatible (`::a.b.c.d`,
 * deprecated) or NAT64 (`64:ff9b::a.b.c.d`), in bits 16 to 47 when it is 6to4 (`2002:AABB:CCDD::`);
 * `null` otherwise (IPv4-mapped ones BlockList maps itself).
 */
function embeddedIpv4(address: string): string | null {
  const groups = expandIpv6(address);
  if (!groups) return null;
  const dotted = (high: number, low: number) => [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  if (groups[0] === 0x2002) return dotted(groups[1], groups[2]);
  const compatible = groups.slice(0, 6).every((g) => g === 0) && !(groups[6] === 0 && groups[7] <= 1);
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0);
  return compatible || nat64 ? dotted(groups[6], groups[7]) : null;
}

/** The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail included), or `null`. */
function expandIpv6(address: string): number[] | null {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 0) return null;
  return [...left, ...Array<number>(Math.max(0, missing)).fill(0), ...right];
}

/**
 * Why `url` cannot be a destination, judged from the URL itself (pt-BR, for the operator), or `null`.
 * `database`: the service's own database, never a destination.
 */
export function destinationProblem(url: string, database: readonly Endpoint[] = []): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'não é uma URL válida (ex.: https://gsan.exemplo.com.br/validacoes)';
  }
  if (parsed.username || parsed.password) return 'não pode levar usuário ou senha (a assinatura autentica cada envio)';
  if (parsed.hash) return 'não pode ter fragmento (#)';
  const host = normalHost(parsed.hostname);
  const plainToLoopback = parsed.protocol === 'http:' && isLoopback(host);
  if (parsed.protocol !== 'https:' && !plainToLoopback) return 'deve usar https (http só para localhost, em desenvolvimento)';
  if (METADATA_NAMES.has(host)) return `${host} é o serviço de metadados da nuvem`;
  const forbidden = forbiddenAddress(host);
  if (forbidden) return forbidden;
  const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  const sameMachine = (other: string) => other === host || (isLoopback(other) && isLoopback(host));
  if (database.some((db) => db.port === port && sameMachine(db.host))) return 'é o endereço do próprio banco de dados do serviço';
  return null;
}

/**
 * What `destinationProblem` says, and then, for a name, whatever forbidden address it resolves to
 * now. A name that does not resolve is no problem here: each connection checks it again.
 */
export async function destinationProblemNow(url: string, rules: DestinationRules): Promise<string | null> {
  const problem = destinationProblem(url, rules.database);
  if (problem) return problem;
  const host = normalHost(new URL(url).hostname);
  if (isIP(host)) return null;
  const addresses = await rules.resolve(host).catch(() => []);
  for (const address of addresses) {
    const forbidden = forbiddenAddress(address);
    if (forbidden) return `${host} resolve para um endereço proibido: ${forbidden}`;
  }
  return null;
}

/** The error a connection gets when its name resolved to a forbidden address. */
export class ForbiddenAddressError extends Error {
  readonly code = 'EFORBIDDENADDRESS';
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for `http.request`: resolves with `resolve`, and refuses the connection when any address
 * the name resolves to is forbidden. IP literals never reach a lookup; `destinationProblem` judged them.
 */
export function guardedLookup(resolve: ResolveAll) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void => {
    resolve(hostname).then(
      (addresses) => {
        const forbidden = addresses.map(forbiddenAddress).find((p) => p !== null);
        if (forbidden) return callback(new ForbiddenAddressError(`${hostname}: ${forbidden}`), []);
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const wanted = addresses.map((address) => ({ address, family: isIP(address) })).filter((a) => !family || a.family === family);
        if (wanted.length === 0) return callback(Object.assign(new Error(`${hostname} não resolve`), { code: 'ENOTFOUND' }), []);
        if (options.all) callback(null, wanted);
        else callback(null, wanted[0].address, wanted[0].family);
      },
      (err: NodeJS.ErrnoException) => callback(err, []),
    );
  };
}
