import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * A DNS server on loopback (UDP) that answers A and AAAA queries from a table the test changes at
 * will (`records`), NXDOMAIN for any other name; and a resolver that asks it, as the system's would
 * ask the machine's DNS server.
 */

export interface TestDns {
  /** Name → addresses (IPv4 and IPv6 mixed); changing it changes the next answer. */
  records: Map<string, string[]>;
  /** Every address `hostname` resolves to through this server (A and AAAA). */
  resolveAll: (hostname: string) => Promise<string[]>;
  close(): Promise<void>;
}

const A = 1;
const AAAA = 28;

export async function startDns(records: Record<string, string[]> = {}): Promise<TestDns> {
  const table = new Map(Object.entries(records));
  const socket = createSocket('udp4');
  socket.on('message', (query, peer) => socket.send(answer(query, table), peer.port, peer.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  const none = (err: NodeJS.ErrnoException) => (err.code === 'ENODATA' || err.code === 'ENOTFOUND' ? [] : Promise.reject(err));
  return {
    records: table,
    resolveAll: async (hostname) => {
      const [v4, v6] = await Promise.all([resolver.resolve4(hostname).catch(none), resolver.resolve6(hostname).catch(none)]);
      const all = [...v4, ...v6];
      if (all.length === 0) throw Object.assign(new Error(`${hostname} not found`), { code: 'ENOTFOUND' });
      return all;
    },
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

/** The response to one query: its question, and an answer per address of the asked family. */
function answer(query: Buffer, table: Map<string, string[]>): Buffer {
  let end = 12;
  const labels: string[] = [];
  while (query[end] !== 0) {
    labels.push(query.subarray(end + 1, end + 1 + query[end]).toString('ascii'));
    end += query[end] + 1;
  }
  const type = query.readUInt16BE(end + 1);
  const question = query.subarray(12, end + 5);
  const addresses = table.get(labels.join('.').toLowerCase());
  const wanted = (addresses ?? []).filter((a) => isIP(a) === (type === A ? 4 : type === AAAA ? 6 : 0));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0); // the query's id
  header.writeUInt16BE(addresses ? 0x8180 : 0x8183, 2); // a response, recursion available; NXDOMAIN for an unknown name
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(wanted.length, 6);
  const records = wanted.map((address) => {
    const data = isIP(address) === 4 ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
    const record = Buffer.alloc(12);
    record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    record.writeUInt16BE(type, 2);
    record.writeUInt16BE(1, 4); // class IN
    record.writeUInt32BE(0, 6); // TTL 0: nothing is cached
    record.writeUInt16BE(data.length, 10);
    return Buffer.concat([record, data]);
  });
  return Buffer.concat([header, question, ...records]);
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail] = address.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const bytes = Buffer.alloc(16);
  all.forEach((g, i) => bytes.writeUInt16BE(parseInt(g, 16), i * 2));
  return bytes;
}
