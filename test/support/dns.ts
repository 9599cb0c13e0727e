import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import packet from 'dns-packet';

/**
 * A real DNS server on loopback (UDP, dns-packet), for `DNS_SERVERS`: it answers from a zone the
 * test (or `npm run bench`) gives (a name absent from it does not exist: NXDOMAIN), or, `silent`,
 * never answers. It records every question it got. A zone given as records may be changed while the
 * server runs: the next answer reads it.
 */

export interface DnsRecords {
  mx?: { preference: number; exchange: string }[];
  a?: string[];
  aaaa?: string[];
}

export interface TestDns {
  /** `127.0.0.1:port`, as `DNS_SERVERS` takes it. */
  server: string;
  /** Every question so far, as `name TYPE`. */
  queries(): string[];
  /** Every address `hostname` has here (A and AAAA), as a resolver asking this server finds them. */
  resolveAll(hostname: string): Promise<string[]>;
  close(): Promise<void>;
}

const NXDOMAIN = 3;

/** A zone: its records by name, or a function that answers for any name (`undefined`: no such domain). */
export type DnsZone = Record<string, DnsRecords> | ((name: string) => DnsRecords | undefined);

export async function startDns(zone: DnsZone, mode: 'answer' | 'silent' = 'answer'): Promise<TestDns> {
  const recordsOf = typeof zone === 'function' ? zone : (name: string) => zone[name];
  const socket = createSocket('udp4');
  const queries: string[] = [];
  socket.on('message', (message, peer) => {
    const query = packet.decode(message);
    const question = query.questions?.[0];
    if (!question) return;
    queries.push(`${question.name} ${question.type}`);
    if (mode === 'silent') return;
    const records = recordsOf(question.name.toLowerCase());
    const answers: packet.Answer[] = [];
    if (records && question.type === 'MX') {
      for (const mx of records.mx ?? []) answers.push({ type: 'MX', name: question.name, ttl: 300, data: mx });
    } else if (records && question.type === 'A') {
      for (const ip of records.a ?? []) answers.push({ type: 'A', name: question.name, ttl: 300, data: ip });
    } else if (records && question.type === 'AAAA') {
      for (const ip of records.aaaa ?? []) answers.push({ type: 'AAAA', name: question.name, ttl: 300, data: ip });
    }
    const response = packet.encode({
      id: query.id,
      type: 'response',
      flags: packet.AUTHORITATIVE_ANSWER | packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (records ? 0 : NXDOMAIN),
      questions: query.questions,
      answers,
    });
    socket.send(response, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  const none = (err: NodeJS.ErrnoException) => (err.code === 'ENODATA' || err.code === 'ENOTFOUND' ? [] : Promise.reject(err));
  return {
    server: `127.0.0.1:${port}`,
    queries: () => [...queries],
    resolveAll: async (hostname) => {
      const [v4, v6] = await Promise.all([resolver.resolve4(hostname).catch(none), resolver.resolve6(hostname).catch(none)]);
      const all = [...v4, ...v6];
      if (all.length === 0) throw Object.assign(new Error(`${hostname} not found`), { code: 'ENOTFOUND' });
      return all;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** The domains the tests use, one of each kind. */
export const TEST_ZONE: Record<string, DnsRecords> = {
  'exemplo.com.br': { mx: [{ preference: 10, exchange: 'mx.exemplo.com.br' }] },
  // Brazil's top-level domain, with no record the tests ask for: a DNS that knows it sees public names.
  br: {},
  // No MX: its address stands in (RFC 5321 §5.1).
  'so-endereco.com.br': { a: ['192.0.2.10'] },
  'so-ipv6.com.br': { aaaa: ['2001:db8::10'] },
  // Says it takes no mail (RFC 7505).
  'nulo.com.br': { mx: [{ preference: 0, exchange: '.' }] },
  // Exists, with no MX, A or AAAA.
  'vazio.com.br': {},
};
