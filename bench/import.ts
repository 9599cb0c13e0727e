import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpf } from 'cpf-cnpj-validator';
import { importClients } from '../admin/importClients';
import { hashKey } from '../services/domain/code';
import { createMemoryStores } from '../services/store/memory';

/**
 * `npm run bench:import`: generates a CSV of 100 000 clients (`;`, UTF-8, one in three without
 * email) in a temporary directory, imports it into the in-memory store the way
 * `clientes importar` does, and prints the time taken and rows per second. Not a test: a figure
 * for docs/administration.md. Rows: first argument, default 100 000.
 */

const ROWS = Number(process.argv[2] ?? 100_000);

async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'gsan-bench-'));
  try {
    const file = join(dir, 'clientes.csv');
    const lines = ['cpfCnpj;nome;email'];
    const used = new Set<string>();
    while (used.size < ROWS) {
      const doc = cpf.generate();
      if (used.has(doc)) continue; // a repeat would be rejected, not imported
      used.add(doc);
      const i = used.size;
      lines.push(`${cpf.format(doc)};Cliente de Teste ${i};${i % 3 === 0 ? '' : `cliente${i}@exemplo.com.br`}`);
    }
    await writeFile(file, `${lines.join('\n')}\n`);
    const size = (await stat(file)).size;

    const stores = createMemoryStores();
    await stores.companies.insert({
      sigla: 'BENCH',
      nome: 'Companhia de Teste',
      assistente: 'Assistente de Teste',
      site: 'www.exemplo.com.br',
      remetente: 'nao-responda@exemplo.com.br',
      keyHash: hashKey('bench'),
      createdAt: new Date(),
    });

    const started = process.hrtime.bigint();
    const report = await importClients(stores, { write: () => true }, { sigla: 'BENCH', file });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;

    if (report.inserted !== ROWS) throw new Error(`expected ${ROWS} inserted, got ${JSON.stringify(report)}`);
    const fmt = (n: number, digits = 0) => n.toLocaleString('pt-BR', { maximumFractionDigits: digits });
    process.stdout.write(
      `${fmt(ROWS)} linhas (${fmt(size / 1024 / 1024, 1)} MiB) importadas para o armazenamento em memória ` +
        `em ${fmt(seconds, 2)} s: ${fmt(ROWS / seconds)} linhas/s ` +
        `(inseridos ${fmt(report.inserted)}, rejeitados ${fmt(report.rejected.length)}).\n`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

run().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
