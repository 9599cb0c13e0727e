'use strict';

/**
 * Child process of `npm run bench`, run by plain `node` on the compiled build (`dist/`, made by
 * `npm run build`) as production runs it, no tsx. Three modes:
 * - `service`: the real service on the in-memory store, seeded with `BENCH_CLIENTS` clients; with
 *   `BENCH_MONGODB_URI`, on MongoDB instead (a database of its own, dropped when the bench lets go);
 * - `bare`: a bare restify route that answers a fixed envelope;
 * - `echo`: a bare botbuilder echo bot (CloudAdapter on restify, no credentials) that answers
 *   every message with one reply, posted to the activity's `serviceUrl` like the real bot's.
 * Tells its port and, on request, its resident set size and CPU time. Each mode loads only what it runs.
 */

const mode = process.argv[2];

async function service() {
  const { cpf } = require('cpf-cnpj-validator');
  const { startApp } = require('../dist/index');
  const { loadConfig } = require('../dist/services/runtime/config');
  const { DEMO_COMPANY } = require('../dist/services/runtime/demo');
  const { createMemoryStores } = require('../dist/services/store/memory');

  const { createMongoStores } = require('../dist/services/store/mongo');
  const uri = process.env.BENCH_MONGODB_URI;
  const stores = uri
    ? await createMongoStores({ uri, dbName: `gsan_bench_${process.pid}`, timeoutMs: 4000 })
    : createMemoryStores();
  if (uri) process.on('disconnect', () => void stores.db.dropDatabase().finally(() => process.exit(0)));
  const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1', SEED_DEMO: 'true' });
  // The production logger at its level: logging is part of what a request costs.
  const app = await startApp(config, { stores });
  // `BENCH_CLIENTS` distinct valid CPFs, in a stable order, as clients of the demo company.
  const set = new Set();
  while (set.size < Number(process.env.BENCH_CLIENTS ?? 0)) set.add(cpf.generate());
  const docs = [...set];
  for (let i = 0; i < docs.length; i += 10_000) {
    await stores.clients.upsertMany(
      docs.slice(i, i + 10_000).map((document, j) => ({ companyId: DEMO_COMPANY.sigla, document, nome: `Cliente ${i + j}`, email: null })),
    );
  }
  process.send?.({ documents: docs });
  return app.port;
}

async function bare() {
  const restify = require('restify');
  const server = restify.createServer();
  const fixed = JSON.stringify({ key: 'k', body: { validado: 'S', mensagemCritica: '' } });
  server.post('/bare', async (_req, res) => {
    res.sendRaw(200, fixed, { 'Content-Type': 'application/json; charset=utf-8' });
  });
  return listen(server);
}

/** As the Bot Framework samples write it, with the service's lack of credentials (bots/adapter.ts). */
async function echo() {
  const restify = require('restify');
  const { ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication } = require('botbuilder');
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  const bot = new ActivityHandler();
  bot.onMessage(async (context, next) => {
    await context.sendActivity(`Você disse: ${context.activity.text}`);
    await next();
  });
  const server = restify.createServer();
  server.use(restify.plugins.bodyParser());
  server.post('/api/messages', async (req, res) => {
    await adapter.process(req, res, (context) => bot.run(context));
  });
  return listen(server);
}

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server.address().port;
}

const modes = { service, bare, echo };
modes[mode]().then((port) => process.send?.({ port }));
process.on('message', (msg) => {
  if (msg.type === 'rss') process.send?.({ rss: process.memoryUsage().rss });
  // What the heap holds and what V8 has taken for it: the young generation grows with the rate of allocation.
  if (msg.type === 'heap') {
    const spaces = Object.fromEntries(require('node:v8').getHeapSpaceStatistics().map((s) => [s.space_name, s]));
    const { heapUsed, external } = process.memoryUsage();
    process.send?.({ heap: { used: heapUsed, external, young: spaces.new_space.physical_space_size, old: spaces.old_space.physical_space_size } });
  }
  // CPU time of the process (every thread), in µs: what a request costs, whatever else runs on the machine.
  if (msg.type === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpu: user + system });
  }
});
// A MongoDB service drops its database first (above).
if (!(mode === 'service' && process.env.BENCH_MONGODB_URI)) process.on('disconnect', () => process.exit(0));
