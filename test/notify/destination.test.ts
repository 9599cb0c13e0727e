import { strict as assert } from 'node:assert';
import pino from 'pino';
import { main } from '../../admin/cli';
import { configureNotification } from '../../admin/notifications';
import { hashKey } from '../../services/domain/code';
import { DEMO_CLIENTS, DEMO_COMPANY } from '../../services/runtime/demo';
import { databaseEndpoints, destinationProblem, destinationRules } from '../../services/notify/destination';
import { ValidationNotifier } from '../../services/notify/notifier';
import type { Stores } from '../../services/store/types';
import { newValidation } from '../../services/domain/validations';
import { capture, captureIo } from '../admin/helpers';
import { startDns, type DnsRecords, type TestDns } from '../support/dns';
import { startReceiver, type TestReceiver } from '../support/receiver';
import { openTestStores, TEST_PEPPER } from '../support/stores';
import { eventually } from '../support/wait';

/**
 * Notification destinations that would turn the service against its own network (docs/security.md,
 * "Notifications"): refused by address, by what a name resolves to, at configuration and again at
 * each connection; private ranges allowed.
 */

const DATABASE = databaseEndpoints('mongodb://localhost:27999/gsan');

describe('notification destinations: what the service must never POST to', () => {
  for (const url of [
    'https://169.254.169.254/latest/meta-data/',
    'https://[::ffff:169.254.169.254]/',
    'https://[::ffff:a9fe:a9fe]/',
    'https://[::169.254.169.254]/',
    'https://[64:ff9b::a9fe:a9fe]/',
    'https://[2002:a9fe:a9fe::1]/',
    'https://2852039166/',
    'https://metadata.google.internal/',
    'https://METADATA.google.internal./computeMetadata/v1/',
    'https://0.0.0.0/',
    'https://0/',
    'https://[::]/',
    'https://[fe80::1]/',
    'https://224.0.0.251/',
    'https://[ff02::1]/',
    'https://[fd00:ec2::254]/',
    'http://localhost:27999/',
    'http://127.0.0.1:27999/',
    'http://[::1]:27999/',
  ]) {
    it(`refuses ${url}`, () => assert.match(destinationProblem(url, DATABASE) ?? '', /metadados|enlace|banco de dados/));
  }
  for (const url of ['https://192.168.64.111/gsan', 'https://10.0.0.5:8443/x', 'https://172.16.0.9/', 'https://[fd12::1]/', 'https://[2002:c0a8:4001::1]/', 'http://localhost:8080/x', 'http://127.0.0.1:27017/x']) {
    it(`accepts ${url} (the utility's own network, or this machine off the database's port)`, () => assert.equal(destinationProblem(url, DATABASE), null));
  }
  it('knows the database from its connection string, whatever it names', () => {
    assert.deepEqual(databaseEndpoints('mongodb://u:p@db1.internal,db2.internal:27018/gsan?replicaSet=rs'), [
      { host: 'db1.internal', port: 27017 },
      { host: 'db2.internal', port: 27018 },
    ]);
    assert.match(destinationProblem('https://db2.internal:27018/', databaseEndpoints('mongodb://db1,db2.internal:27018')) ?? '', /banco de dados/);
  });
});

describe('notification destinations through DNS', function () {
  this.timeout(30_000);
  let dns: TestDns;
  let zone: Record<string, DnsRecords>;
  let stores: Stores;
  let receiver: TestReceiver;

  beforeEach(async () => {
    zone = {
      'gsan.caer.com.br': { a: ['192.168.64.111'] },
      'meta.caer.com.br': { a: ['10.0.0.1', '169.254.169.254'] },
      'v6.caer.com.br': { aaaa: ['fe80::1'] },
    };
    dns = await startDns(zone);
    stores = await openTestStores();
    await stores.companies.insert({ ...DEMO_COMPANY, keyHash: hashKey('k'), createdAt: new Date() });
    receiver = await startReceiver(204);
  });
  afterEach(async () => {
    await receiver.close();
    await stores.close();
    await dns.close();
  });

  it('refuses at configuration a name that resolves, even in part, to a forbidden address; accepts one on a private network', async () => {
    const rules = destinationRules(undefined, (hostname) => dns.resolveAll(hostname));
    for (const url of ['https://meta.caer.com.br/x', 'https://v6.caer.com.br/x']) {
      const io = captureIo();
      await assert.rejects(configureNotification(stores, io, { sigla: 'CAER', url }, TEST_PEPPER, rules), /resolve para um endereço proibido/, url);
    }
    assert.equal((await stores.companies.findBySigla('CAER'))!.notification ?? null, null, 'nothing configured');
    await configureNotification(stores, captureIo(), { sigla: 'CAER', url: 'https://gsan.caer.com.br/x' }, TEST_PEPPER, rules);
    assert.equal((await stores.companies.findBySigla('CAER'))!.notification?.url, 'https://gsan.caer.com.br/x');
  });

  it("refuses the service's own database port at configuration, through the admin command", async () => {
    const err = capture();
    const code = await main(['empresa', 'configurar-notificacao', '--sigla', 'CAER', '--url', 'http://localhost:27999/'], {
      env: { MONGODB_URI: 'mongodb://127.0.0.1:27999/gsan', CODE_PEPPER: TEST_PEPPER },
      out: capture(),
      err,
      openStores: async () => ({ ...stores, close: async () => {} }),
    });
    assert.equal(code, 2);
    assert.match(err.text, /^Erro: URL inválida: é o endereço do próprio banco de dados do serviço\.$/m);
  });

  it('checks again at each connection: a name that comes to resolve to the metadata service gets nothing', async () => {
    zone.localhost = { a: ['127.0.0.1'] };
    const rules = destinationRules(undefined, (hostname) => dns.resolveAll(hostname));
    const url = receiver.url.replace('127.0.0.1', 'localhost');
    await configureNotification(stores, captureIo(), { sigla: 'CAER', url }, TEST_PEPPER, rules);
    const notifier = new ValidationNotifier({
      stores,
      pepper: TEST_PEPPER,
      logger: pino({ level: 'silent' }),
      timing: { pollMs: 20, timeoutMs: 2000 },
      destinations: rules,
    });
    const [maria, joao] = [DEMO_CLIENTS[0].document, DEMO_CLIENTS[1].document];
    await stores.clients.upsertMany([maria, joao].map((document) => ({ companyId: 'CAER', document, nome: 'Cliente', email: null })));
    const validate = (document: string) => stores.clients.markEmailValidated('CAER', document, newValidation(`${document}@x.com.br`, new Date(), 'webhook', true));
    notifier.start();
    try {
      await validate(maria);
      await receiver.waitFor(1);
      await eventually(async () => (await stores.validations.list('CAER', maria))[0].delivery === 'delivered');

      zone.localhost = { a: ['169.254.169.254'] };
      await validate(joao);
      await eventually(async () => (await stores.validations.list('CAER', joao))[0].delivery === 'failed');
      const [record] = await stores.validations.list('CAER', joao);
      assert.match(record.lastError ?? '', /^destino inválido: localhost: o endereço 169\.254\.169\.254 /);
      assert.equal(receiver.received.length, 1, 'nothing more reached any server');
    } finally {
      await notifier.stop();
    }
  });
});
