import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Output } from '../admin/common';
import { CSV_HEADER, exportValidations } from '../admin/validations';
import { hashKey } from '../services/domain/code';
import { emailKey } from '../services/domain/email';
import { createMongoStores, type MongoStores } from '../services/store/mongo';
import { newValidation } from '../services/domain/validations';

/**
 * `npm run bench:export`: `validacoes exportar` on MongoDB, to show that it streams. In a fresh
 * database (dropped at the end) it stores a company and 100 000 clients with one validation each,
 * shaped as the store writes them, then runs the export the way the CLI does, into a file in the
 * temporary directory (a real stream, so its backpressure is real), sampling this process's RSS
 * every 50 ms. Prints rows, time, rows per second, RSS before, peak RSS during, their difference
 * and the file's size; fails when the file does not hold the header and one line per row.
 * MongoDB: `MONGODB_URI`, else a wire-protocol stand-in where .ci/run finds one (a CI machine's
 * tools, outside the repository), stopped at the end. Rows: `--rows N`, default 100 000.
 */

const SIGLA = 'BENCH';
const INSERT_BATCH = 5000;
const SAMPLE_MS = 50;
/** The CLI's bound on the admin commands' reads (admin/cli.ts). */
const ADMIN_MONGODB_TIMEOUT_MS = 60_000;
/** Validations spread over these days before now, inserted out of order. */
const SPREAD_DAYS = 365;

function rowsOption(args: string[]): number {
  const i = args.findIndex((a) => a === '--rows' || a.startsWith('--rows='));
  if (i < 0) return 100_000;
  const value = args[i].includes('=') ? args[i].slice('--rows='.length) : args[i + 1];
  const rows = Number(value);
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`--rows: a positive whole number, not ${value}`);
  return rows;
}

interface Mongo {
  uri: string;
  /** The stand-in this run started, to be stopped at the end. */
  standinPid?: number;
}

/** `MONGODB_URI`, else the machine's wire-protocol stand-in (as .ci/run finds it), started here. */
async function mongo(): Promise<Mongo> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI };
  const start = [resolve(__dirname, '../../shared/tools/mongo-standin/start'), '/work/shared/tools/mongo-standin/start'].find((f) =>
    existsSync(f),
  );
  if (!start) throw new Error('no MONGODB_URI, and no MongoDB stand-in on this machine: this benchmark needs a MongoDB (set MONGODB_URI)');
  const { stdout } = await promisify(execFile)(start, [], { encoding: 'utf8' });
  const uri = /^MONGODB_URI=(.+)$/m.exec(stdout)?.[1];
  const pid = Number(/^PID=(\d+)$/m.exec(stdout)?.[1]);
  if (!uri || !pid) throw new Error(`mongo-standin/start printed no MONGODB_URI and PID: ${stdout}`);
  return { uri, standinPid: pid };
}

/** The company and its clients, each with one validation, inserted as the client store writes them. */
async function seed(stores: MongoStores, rows: number, now: Date): Promise<void> {
  await stores.companies.insert({
    sigla: SIGLA,
    nome: 'Companhia de Teste',
    assistente: 'Assistente de Teste',
    site: 'www.exemplo.com.br',
    remetente: 'nao-responda@exemplo.com.br',
    keyHash: hashKey('bench'),
    createdAt: now,
  });
  const clients = stores.db.collection('clients');
  const spreadMs = SPREAD_DAYS * 24 * 60 * 60_000;
  for (let first = 0; first < rows; first += INSERT_BATCH) {
    const docs = [];
    for (let i = first; i < Math.min(first + INSERT_BATCH, rows); i++) {
      const email = `Cliente${i}@Exemplo.com.br`;
      // Not in insertion order: a step that is prime to most row counts walks the period out of order.
      const at = new Date(now.getTime() - spreadMs + Math.floor((((i * 7919) % rows) / rows) * spreadMs));
      docs.push({
        companyId: SIGLA,
        document: String(10_000_000_000 + i),
        nome: `Cliente de Teste ${i}`,
        email,
        emailKey: emailKey(email),
        emailValidatedAt: at,
        validations: [newValidation(email, at, 'webhook', false)],
      });
    }
    await clients.insertMany(docs, { ordered: false });
  }
}

/** Counts the lines of a file without holding it. */
async function countLines(file: string): Promise<{ lines: number; first: string }> {
  let lines = 0;
  let first = '';
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    if (lines === 0 && first.length < 200) first += chunk.toString('utf8', 0, 200);
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return { lines, first: first.split('\n')[0] };
}

async function run(): Promise<void> {
  const total = rowsOption(process.argv.slice(2));
  let standinPid: number | undefined;
  let dir: string | undefined;
  let stores: MongoStores | undefined;
  let sampler: NodeJS.Timeout | undefined;
  /** Leaves nothing behind: the sampling, the database, the temporary file, the stand-in this run started. */
  let cleaned: Promise<void> | undefined;
  const cleanup = () =>
    (cleaned ??= (async () => {
      clearInterval(sampler);
      try {
        if (stores) {
          await stores.db.dropDatabase().catch(() => {});
          await stores.close();
        }
        if (dir) await rm(dir, { recursive: true, force: true });
      } finally {
        if (standinPid) {
          try {
            process.kill(standinPid);
          } catch {
            // already gone
          }
        }
      }
    })());
  // A signal cleans up, then exits; one that comes while the stand-in starts waits for its PID.
  let starting = true;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    if (!starting) void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    let uri: string;
    try {
      ({ uri, standinPid } = await mongo());
    } finally {
      starting = false;
    }
    if (interrupted) return onSignal();
    dir = await mkdtemp(join(tmpdir(), 'gsan-bench-'));
    stores = await createMongoStores({
      uri,
      dbName: `gsan_bench_export_${randomBytes(6).toString('hex')}`,
      timeoutMs: 4000,
      operationTimeoutMs: ADMIN_MONGODB_TIMEOUT_MS,
    });
    const now = new Date();
    const seedStarted = process.hrtime.bigint();
    await seed(stores, total, now);
    const seedSeconds = Number(process.hrtime.bigint() - seedStarted) / 1e9;

    const file = join(dir, 'validacoes.csv');
    const out = createWriteStream(file);
    let errLines = 0;
    const err: Output = {
      write: (text: string) => {
        for (const c of text) if (c === '\n') errLines++;
        return true;
      },
    };

    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, SAMPLE_MS);
    const started = process.hrtime.bigint();
    const since = new Date(now.getTime() - (SPREAD_DAYS + 1) * 24 * 60 * 60_000).toISOString();
    const rows = await exportValidations(stores, { out, err, json: false }, { sigla: SIGLA, desde: since });
    out.end();
    await once(out, 'finish');
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    clearInterval(sampler);
    sampler = undefined;

    const size = (await stat(file)).size;
    const { lines, first } = await countLines(file);
    const mib = (n: number) => `${fmt(n / 1024 / 1024, 1)} MiB`;
    process.stdout.write(
      `MongoDB ${standinPid ? `(stand-in, ${uri})` : `(${uri.replace(/\/\/[^@/]*@/, '//…@')})`}: ${fmt(total)} clientes com uma validação ` +
        `inseridos em ${fmt(seedSeconds, 2)} s.\n` +
        `validacoes exportar: ${fmt(rows)} linhas em ${fmt(seconds, 2)} s: ${fmt(rows / seconds)} linhas/s; ` +
        `arquivo de ${mib(size)} (${fmt(lines)} linhas com o cabeçalho); ${fmt(errLines)} linhas em stderr.\n` +
        `RSS antes: ${mib(rssBefore)}; pico durante: ${mib(peakRss)}; pico menos antes: ${mib(peakRss - rssBefore)} ` +
        `(amostras a cada ${SAMPLE_MS} ms).\n`,
    );
    if (rows !== total || lines !== total + 1 || first !== CSV_HEADER) {
      throw new Error(`expected ${fmt(total + 1)} lines starting with "${CSV_HEADER}": export answered ${rows}, file has ${lines}, first "${first}"`);
    }
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString('pt-BR', { maximumFractionDigits: digits });

run().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
