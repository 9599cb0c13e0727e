import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { get } from 'node:http';
import { cpus, totalmem } from 'node:os';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { generateCode } from '../services/domain/code';
import { DEMO_COMPANY, DEMO_KEY } from '../services/runtime/demo';
import { createPooledSmtpMailer } from '../services/mail/smtpPool';
import { validationMail } from '../services/mail/message';
import { CONFIRM_PATH, SEND_PATH } from '../api/webhooks';
import { startDns } from '../test/support/dns';
import { countCommands, type CommandCount } from '../test/support/commands';
import { dropTestDatabase } from '../test/support/stores';

/**
 * `npm run bench`: the service from the compiled build (`dist/`, on plain node, as production runs
 * it) on the in-memory store, a real SMTP server on loopback in another process, autocannon at 50
 * connections against both webhooks and the conversation, and three references measured in the
 * same run: the raw mail pipeline (nodemailer's pooled transport, no HTTP), a bare restify route
 * and a bare botbuilder echo bot. Before the load, the production start (`node dist/index.js`, the
 * SMTP worker running): time to ready, idle RSS, RSS after the bot door's first turn.
 *
 * With `MONGODB_URI` (a MongoDB, or the test stand-in), also: the database commands of each request
 * (test/support/commands.ts), the start on MongoDB, and both webhooks on MongoDB beside the in-memory
 * figures. `BENCH_ONLY=start,commands,send,confirm,conversation,mongo,memory` runs some parts only.
 * Prints figures; asserts nothing.
 */

const CONNECTIONS = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const MEMORY_REQUESTS = 100_000;
const SMTP_POOL = Number(process.env.BENCH_SMTP_POOL ?? 5);
const STARTS = Number(process.env.BENCH_STARTS ?? 5);
const IDLE_MS = 2000;
const MONGODB_URI = process.env.MONGODB_URI;
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const runs = (part: string) => !ONLY || ONLY.includes(part);
/** The children's environment: the bench's, but a MongoDB only where a run asks for one. */
const childEnv = () => {
  const env = { ...process.env };
  delete env.MONGODB_URI;
  return env;
};

interface Child {
  proc: ChildProcess;
  port: number;
  documents: string[];
}

function start(script: string, args: string[], env: Record<string, string> = {}): Promise<Child> {
  return new Promise((resolve, reject) => {
    const proc = fork(script, args, {
      // The sinks are TypeScript, run through tsx; bench/service.cjs is the compiled build on plain node.
      execArgv: [
        ...(script.endsWith('.ts') ? ['--import', 'tsx'] : []),
        ...(process.env.BENCH_PROFILE && script === 'bench/service.cjs' ? ['--cpu-prof', '--cpu-prof-dir=var/prof'] : []),
      ],
      env: { ...childEnv(), ...env },
      // The service logs a JSON line per request, as in production; the bench does not print them.
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let documents: string[] = [];
    proc.on('message', (msg: { port?: number; documents?: string[] }) => {
      if (msg.documents) documents = msg.documents;
      if (msg.port) resolve({ proc, port: msg.port, documents });
    });
    proc.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

function ask<T>(child: ChildProcess, type: string, field: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (msg: Record<string, T>) => {
      if (field in msg) {
        child.off('message', onMessage);
        resolve(msg[field]);
      }
    };
    child.on('message', onMessage);
    child.send({ type });
  });
}

/** Samples a child's RSS every 200 ms while `work` runs; answers the peak. */
async function withPeakRss<T>(child: ChildProcess, work: () => Promise<T>): Promise<{ result: T; peakRss: number }> {
  let peakRss = await ask<number>(child, 'rss', 'rss');
  let running = true;
  const sampler = (async () => {
    while (running) {
      peakRss = Math.max(peakRss, await ask<number>(child, 'rss', 'rss'));
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  const result = await work();
  running = false;
  await sampler;
  return { result, peakRss };
}

interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  peakRss?: number;
  non2xx?: number;
  /** CPU time of the process (all its threads) per request, in µs. */
  cpuUs?: number;
}

function load(url: string, body: () => string, opts: { amount?: number; onResponse?: () => void } = {}) {
  return autocannon({
    url,
    connections: CONNECTIONS,
    ...(opts.amount ? { amount: opts.amount } : { duration: SECONDS }),
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: body() }),
        onResponse: opts.onResponse,
      },
    ],
  });
}

async function http(name: string, child: Child, path: string, body: () => string): Promise<Figures> {
  const cpuBefore = await ask<number>(child.proc, 'cpu', 'cpu');
  const { result, peakRss } = await withPeakRss(child.proc, () => load(`http://127.0.0.1:${child.port}${path}`, body));
  const cpu = (await ask<number>(child.proc, 'cpu', 'cpu')) - cpuBefore;
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    peakRss,
    non2xx: result.non2xx,
    cpuUs: cpu / result.requests.total,
  };
}

/**
 * The raw mail pipeline: nodemailer's pooled transport, configured as the service's, sending the
 * service's message as fast as it can to the same SMTP server, with as many senders as autocannon
 * has connections, in this thread, no HTTP.
 */
async function rawMail(smtpPort: number): Promise<Figures> {
  const mailer = createPooledSmtpMailer({ url: `smtp://127.0.0.1:${smtpPort}`, timeoutMs: 4000, maxConnections: SMTP_POOL, plainLoopback: true });
  const company = { ...DEMO_COMPANY, keyHash: '', createdAt: new Date() };
  const latencies: number[] = [];
  const deadline = Date.now() + SECONDS * 1000;
  const worker = async () => {
    while (Date.now() < deadline) {
      const t = process.hrtime.bigint();
      await mailer.send(validationMail(company, 'cliente@exemplo.com.br', generateCode(), 10));
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  mailer.close();
  return {
    name: 'raw mail pipeline (no HTTP)',
    rps: latencies.length / SECONDS,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/** The value below which `p` % of `values` lie (the median of an odd count for 50). */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Answers the status of a GET, or 0 when nothing answers. */
function status(url: string): Promise<number> {
  return new Promise((resolve) => {
    get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', () => resolve(0));
  });
}

/** The port of a service's JSON log line `listening`; rejects if the process ends first. */
function listeningPort(proc: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    // The reader stays open until the process ends, so its log never fills the pipe.
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === 'listening' && entry.port) resolve(entry.port);
      } catch {
        // Not a JSON line: not the one looked for.
      }
    });
    proc.once('exit', (code) => reject(new Error(`exited with ${code} before listening`)));
  });
}

/** Resident set size of a process, from /proc (Linux). */
async function vmRss(pid: number): Promise<number> {
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

/** One activity for the bot door, from a channel at `serviceUrl` (the bench's channel sink). */
const activity = (serviceUrl: string, i: number, text = 'oi') =>
  JSON.stringify({
    type: 'message',
    id: `a${i}`,
    text,
    channelId: 'emulator',
    serviceUrl,
    from: { id: 'user' },
    recipient: { id: 'bot' },
    conversation: { id: `bench-${i % 1000}` },
  });

/** POSTs `body` to `url`; resolves with the status. */
async function postJson(url: string, body: string): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await res.arrayBuffer();
  return res.status;
}

/** A child's heap (bench/service.cjs): in use, and what V8 holds for each generation. */
interface Heap {
  used: number;
  external: number;
  young: number;
  old: number;
}

interface StartRun {
  readyMs: number;
  idleRss: number;
  /** After one bot turn, which loads the bot door. */
  botRss: number;
}

/**
 * Starts the service as production does (`node dist/index.js`, the SMTP worker running, an ephemeral
 * port on loopback, `env` on top), times it from spawn until `GET /health` answers 200, lets it idle
 * and reads its RSS, has the bot door take one turn and reads it again, and stops it with SIGTERM.
 */
async function startOnce(env: Record<string, string>, channelUrl: string): Promise<StartRun> {
  const started = performance.now();
  const proc = spawn(process.execPath, ['dist/index.js'], {
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  try {
    const port = await listeningPort(proc);
    while ((await status(`http://127.0.0.1:${port}/health`)) !== 200) await sleep(5);
    const readyMs = performance.now() - started;
    await sleep(IDLE_MS);
    const idleRss = await vmRss(proc.pid!);
    await postJson(`http://127.0.0.1:${port}/api/messages`, activity(channelUrl, 0));
    await sleep(IDLE_MS);
    return { readyMs, idleRss, botRss: await vmRss(proc.pid!) };
  } finally {
    proc.kill('SIGTERM');
    await exited;
  }
}

interface StartFigures {
  name: string;
  readyMedian: number;
  readyMax: number;
  idleRss: number;
  botRss: number;
}

/** `STARTS` starts one after the other: median and max time to ready, median RSS idle and after a bot turn. */
async function starts(name: string, env: Record<string, string>, channelUrl: string): Promise<StartFigures> {
  const runs: StartRun[] = [];
  for (let i = 0; i < STARTS; i++) runs.push(await startOnce(env, channelUrl));
  const ready = runs.map((r) => r.readyMs);
  return {
    name,
    readyMedian: percentile(ready, 50),
    readyMax: Math.max(...ready),
    idleRss: percentile(runs.map((r) => r.idleRss), 50),
    botRss: percentile(runs.map((r) => r.botRss), 50),
  };
}

const mb = (bytes?: number) => (bytes === undefined ? '' : `${(bytes / 2 ** 20).toFixed(0)} MiB`);

/** One table row: a name, then right-aligned columns. */
const row = (cols: string[]) => console.log(cols.map((c, i) => (i === 0 ? c.padEnd(38) : c.padStart(10))).join(' '));

function print(rows: Figures[]): void {
  row(['', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS', 'non-2xx', 'CPU µs/req']);
  for (const r of rows) {
    const non2xx = r.non2xx === undefined ? '' : String(r.non2xx);
    row([r.name, r.rps.toFixed(0), r.p50.toFixed(1), r.p99.toFixed(1), mb(r.peakRss), non2xx, r.cpuUs === undefined ? '' : r.cpuUs.toFixed(0)]);
  }
}

function printStarts(rows: StartFigures[]): void {
  row([`start to ready (${STARTS} starts)`, 'median ms', 'max ms', 'idle RSS', '1 bot turn']);
  for (const r of rows) row([r.name, r.readyMedian.toFixed(0), r.readyMax.toFixed(0), mb(r.idleRss), mb(r.botRss)]);
  console.log('(targets: ready ≤ 1000 ms, idle RSS ≤ 130 MiB, the SMTP worker running)');
}

/** The commands of each step, with their count. */
function printCommands(counts: CommandCount[]): void {
  console.log('database commands per request (MongoDB, driver command monitoring):');
  for (const c of counts) console.log(`${String(c.commands.length).padStart(3)}  ${c.step}\n       ${c.commands.join(', ')}`);
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
  console.log(`autocannon: ${CONNECTIONS} connections, ${SECONDS} s per run; each run on a service process of its own`);
  console.log(MONGODB_URI ? `MongoDB: ${new URL(MONGODB_URI).host}\n` : 'MongoDB: none (set MONGODB_URI for the commands and the MongoDB runs)\n');

  const sink = await start('bench/smtpSink.ts', []);
  // A DNS server on loopback that gives every domain an MX, for the receivable-domain check (docs/api.md §7).
  const dns = await startDns(() => ({ mx: [{ preference: 10, exchange: 'mx.exemplo.com.br' }] }));
  const channel = await start('bench/channelSink.ts', []);
  const channelUrl = `http://127.0.0.1:${channel.port}`;
  const smtpEnv = { SMTP_URL: `smtp://127.0.0.1:${sink.port}`, SMTP_PLAIN_LOOPBACK: 'true', DNS_SERVERS: dns.server };

  // Before the load: production's start, the SMTP worker running (on MongoDB too, when there is one).
  if (runs('start')) {
    const rows = [await starts('node dist/index.js', smtpEnv, channelUrl)];
    if (MONGODB_URI) {
      const mongoEnv = { ...smtpEnv, MONGODB_URI, MONGODB_DB: `gsan_bench_start_${process.pid}`, CODE_PEPPER: 'bench-pepper-bench-pepper-bench-pepper', ALLOW_ANONYMOUS_BOT: 'true' };
      rows.push(await starts('node dist/index.js, on MongoDB', mongoEnv, channelUrl));
      await dropTestDatabase(mongoEnv.MONGODB_DB, MONGODB_URI);
    }
    printStarts(rows);
    console.log();
  }
  if (MONGODB_URI && runs('commands')) {
    printCommands(await countCommands(MONGODB_URI));
    console.log();
  }

  // Enough clients that no send hits the one-per-minute limit: every send goes to a fresh one, at a
  // fresh address (3 codes an hour per address), and the company's lookups are not capped.
  const service = (opts: { domainCheck?: boolean; mongo?: boolean } = {}) =>
    start('bench/service.cjs', ['service'], {
      ...smtpEnv,
      MAIL_DOMAIN_CHECK: String(opts.domainCheck ?? false),
      SMTP_MAX_CONNECTIONS: String(SMTP_POOL),
      BENCH_CLIENTS: String(Number(opts.mongo ? (process.env.BENCH_MONGO_CLIENTS ?? 20_000) : (process.env.BENCH_CLIENTS ?? 40_000))),
      LOOKUPS_PER_MINUTE: '1000000',
      ...(opts.mongo && MONGODB_URI ? { BENCH_MONGODB_URI: MONGODB_URI } : {}),
    });
  /** Runs `measure` against a fresh child, then lets the child go. */
  const on = async <T>(child: Promise<Child>, measure: (c: Child) => Promise<T>): Promise<T> => {
    const c = await child;
    try {
      return await measure(c);
    } finally {
      // Disconnecting lets the child exit by itself (and write its profile, with BENCH_PROFILE).
      c.proc.disconnect();
      await new Promise((resolve) => (c.proc.exitCode === null ? c.proc.once('exit', resolve) : resolve(null)));
    }
  };

  const sendBody = (c: Child) => {
    let n = 0;
    return () => {
      const i = n++;
      return JSON.stringify({ key: DEMO_KEY, cpfCnpj: c.documents[i % c.documents.length], email: `cliente${i}@exemplo.com.br` });
    };
  };
  // Confirmations cycle over clients that were never sent a code, so each one goes the whole way
  // (key, lock, live code) and changes nothing.
  const confirmBody = (c: Child) => {
    let n = 0;
    return () =>
      JSON.stringify({ key: DEMO_KEY, cpfCnpj: c.documents[n++ % 5000], email: 'cliente@exemplo.com.br', codigo: '123456' });
  };
  // Each turn goes to one of 1000 conversations in turn: the bot reads its state, answers (asking
  // for the CPF/CNPJ, or again after an invalid one, or starting over), posts the reply to the
  // channel and saves the state. The echo bot gets the same turns and posts one reply each.
  const turnBody = () => {
    let n = 0;
    return () => activity(channelUrl, n++);
  };

  const rows: Figures[] = [];
  const ratios: string[] = [];
  const ratio = (label: string, a: Figures, b: Figures, target: string) =>
    ratios.push(`${label.padEnd(44)} ${(a.rps / b.rps).toFixed(2)}   (${target})`);
  if (runs('send')) {
    const raw = await rawMail(sink.port);
    const send = await on(service(), (c) => http('send webhook', c, SEND_PATH, sendBody(c)));
    const checked = await on(service({ domainCheck: true }), (c) => http('send webhook, domain check on', c, SEND_PATH, sendBody(c)));
    rows.push(raw, send, checked);
    ratio('send webhook / raw mail pipeline:', send, raw, 'target ≥ 0.90');
    ratio('  with the domain check on:', checked, raw, `${dns.queries().length} DNS questions in all`);
    if (MONGODB_URI && runs('mongo')) {
      const mongoSend = await on(service({ mongo: true }), (c) => http('send webhook, MongoDB', c, SEND_PATH, sendBody(c)));
      rows.push(mongoSend);
      ratio('  on MongoDB:', mongoSend, raw, 'the stand-in is not mongod');
    }
  }
  if (runs('confirm')) {
    const bareRoute = await on(start('bench/service.cjs', ['bare']), (c) => http('bare restify route', c, '/bare', () => '{"key":"k"}'));
    const confirm = await on(service(), (c) => http('confirm webhook', c, CONFIRM_PATH, confirmBody(c)));
    rows.push(bareRoute, confirm);
    ratio('confirm webhook / bare route:', confirm, bareRoute, 'target ≥ 0.60');
    if (MONGODB_URI && runs('mongo')) {
      const mongoConfirm = await on(service({ mongo: true }), (c) => http('confirm webhook, MongoDB', c, CONFIRM_PATH, confirmBody(c)));
      rows.push(mongoConfirm);
      ratio('  on MongoDB:', mongoConfirm, bareRoute, 'the stand-in is not mongod');
    }
  }
  if (runs('conversation')) {
    const replies = () => ask<number>(channel.proc, 'count', 'replies');
    const before = await replies();
    const conversation = await on(service(), (c) => http('conversation turns (/api/messages)', c, '/api/messages', turnBody()));
    const conversationReplies = (await replies()) - before;
    const echoBot = await on(start('bench/service.cjs', ['echo']), (c) => http('echo bot (bare CloudAdapter)', c, '/api/messages', turnBody()));
    const echoReplies = (await replies()) - before - conversationReplies;
    rows.push(conversation, echoBot);
    ratio('conversation turns / echo bot:', conversation, echoBot, 'target ≥ 0.60');
    ratios.push(`bot replies received by the channel: ${conversationReplies} from the conversation, ${echoReplies} from the echo bot`);
  }
  if (rows.length > 0) {
    print(rows);
    console.log();
    for (const line of ratios) console.log(line);
    console.log(`mails received by the SMTP server: ${await ask<number>(sink.proc, 'count', 'received')}`);
  }

  // Memory: RSS after the first 10 000 requests against RSS at the end of 100 000.
  if (runs('memory')) {
    await on(service(), async (c) => {
      let answered = 0;
      let rssAt10k = 0;
      let heapAt10k: Heap | undefined;
      const sampling: Promise<void>[] = [];
      const { peakRss } = await withPeakRss(c.proc, () =>
        load(`http://127.0.0.1:${c.port}${CONFIRM_PATH}`, confirmBody(c), {
          amount: MEMORY_REQUESTS,
          onResponse: () => {
            if (++answered === 10_000) {
              sampling.push(ask<number>(c.proc, 'rss', 'rss').then((r) => void (rssAt10k = r)));
              sampling.push(ask<Heap>(c.proc, 'heap', 'heap').then((h) => void (heapAt10k = h)));
            }
          },
        }),
      );
      await Promise.all(sampling);
      const rssEnd = await ask<number>(c.proc, 'rss', 'rss');
      const heapEnd = await ask<Heap>(c.proc, 'heap', 'heap');
      console.log(
        `\nmemory over ${MEMORY_REQUESTS} confirm requests: RSS ${mb(rssAt10k)} after 10 000, ${mb(rssEnd)} at the end ` +
          `(${(((rssEnd - rssAt10k) / rssAt10k) * 100).toFixed(1)} %, target within 10 %), peak ${mb(peakRss)}`,
      );
      const heap = (h: Heap) => `heap used ${mb(h.used)}, young generation ${mb(h.young)}, old ${mb(h.old)}, external ${mb(h.external)}`;
      console.log(`  after 10 000: ${heap(heapAt10k!)}\n  at the end:   ${heap(heapEnd)}`);
    });
  }

  for (const child of [sink, channel]) child.proc.disconnect();
  await dns.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
