import { cpf } from 'cpf-cnpj-validator';
import restify from 'restify';
import { startApp } from '../index';
import { loadConfig } from '../services/config';
import { DEMO_COMPANY } from '../services/demo';
import { createMemoryStores } from '../services/store/memory';

/**
 * Child process of `npm run bench`: the real service on the in-memory store (`service`),
 * or a bare restify route that answers a fixed envelope (`bare`). Tells its port and, on
 * request, its resident set size.
 */

const mode = process.argv[2];
const clients = Number(process.env.BENCH_CLIENTS ?? 0);

/** `count` distinct valid CPFs, in a stable order. */
function documents(count: number): string[] {
  const set = new Set<string>();
  while (set.size < count) set.add(cpf.generate());
  return [...set];
}

async function main(): Promise<number> {
  if (mode === 'bare') {
    const server = restify.createServer();
    const fixed = JSON.stringify({ key: 'k', body: { validado: 'S', mensagemCritica: '' } });
    server.post('/bare', async (_req, res) => {
      res.sendRaw(200, fixed, { 'Content-Type': 'application/json; charset=utf-8' });
    });
    await new Promise<void>((resolve) => void server.listen(0, '127.0.0.1', resolve));
    return server.address().port;
  }
  const stores = createMemoryStores();
  const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1', SEED_DEMO: 'true' });
  // The production logger at its level: logging is part of what a request costs.
  const app = await startApp(config, { stores });
  const docs = documents(clients);
  for (let i = 0; i < docs.length; i += 10_000) {
    await stores.clients.upsertMany(
      docs.slice(i, i + 10_000).map((document, j) => ({ companyId: DEMO_COMPANY.sigla, document, nome: `Cliente ${i + j}`, email: null })),
    );
  }
  process.send?.({ documents: docs });
  return app.port;
}

void main().then((port) => process.send?.({ port }));
process.on('message', (msg: { type: string }) => {
  if (msg.type === 'rss') process.send?.({ rss: process.memoryUsage().rss });
});
process.on('disconnect', () => process.exit(0));
