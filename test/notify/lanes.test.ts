import { strict as assert } from 'node:assert';
import pino from 'pino';
import sinon from 'sinon';
import { DEMO_COMPANY } from '../../services/runtime/demo';
import { ValidationNotifier } from '../../services/notify/notifier';
import { encryptSecret, generateSigningSecret } from '../../services/notify/secret';
import { createMemoryStores } from '../../services/store/memory';
import type { Stores } from '../../services/store/types';
import { newValidation } from '../../services/domain/validations';
import { startReceiver, type TestReceiver } from '../support/receiver';
import { eventually } from '../support/wait';

/**
 * The notification worker's lanes (services/notify/notifier.ts): an idle instance looks for due
 * notifications once per poll, not once per lane, and a backlog still has every lane at work.
 */

const PEPPER = 'p'.repeat(32);
const CPFS = ['02789078220', '29378722040', '52998224725', '11144477735'];
/** No poll comes by itself during a test: every look is a wake, or a lane's. */
const NEVER = 60 * 60_000;

describe('the notification worker\'s lanes', () => {
  let receiver: TestReceiver;
  let stores: Stores;
  let notifier: ValidationNotifier;

  beforeEach(async () => {
    receiver = await startReceiver('hang');
    stores = createMemoryStores();
    await stores.companies.insert({
      ...DEMO_COMPANY,
      keyHash: 'h',
      createdAt: new Date(),
      notification: { url: receiver.url, secret: encryptSecret(generateSigningSecret(), PEPPER), configuredAt: new Date() },
    });
    notifier = new ValidationNotifier({ stores, pepper: PEPPER, logger: pino({ level: 'silent' }), timing: { concurrency: 4, pollMs: NEVER, timeoutMs: 30_000 } });
  });
  afterEach(async () => {
    await notifier.stop();
    await receiver.close();
    await stores.close();
  });

  /** Records a validation of each client, to be notified. */
  const validate = async (documents: string[]) => {
    await stores.clients.upsertMany(documents.map((document) => ({ companyId: DEMO_COMPANY.sigla, document, nome: 'Cliente', email: null })));
    for (const document of documents) {
      await stores.clients.markEmailValidated(DEMO_COMPANY.sigla, document, newValidation(`${document}@exemplo.com.br`, new Date(), 'webhook', true));
    }
  };

  it('with nothing due, one lane looks at a wake, not all four', async () => {
    const claims = sinon.spy(stores.validations, 'claim');
    // Every lane set going has looked by the time `eventually` checks: the store answers at once.
    notifier.start();
    await eventually(() => claims.callCount >= 1);
    assert.equal(claims.callCount, 1, 'at start');
    notifier.wake();
    await eventually(() => claims.callCount >= 2);
    assert.equal(claims.callCount, 2, 'at a wake');
  });

  it('with a backlog, every lane delivers at once, each to a client of its own', async () => {
    await validate(CPFS);
    notifier.start();
    // The receiver never answers: four deliveries in flight together are four lanes at work.
    await eventually(() => receiver.received.length === 4);
    const clients = receiver.received.map((r) => (JSON.parse(r.body) as { cpfCnpj: string }).cpfCnpj);
    assert.deepEqual(clients.sort(), [...CPFS].sort());
  });

  it('a wake with work due sets the lanes going without waiting for a poll', async () => {
    notifier.start();
    await validate(CPFS.slice(0, 2));
    notifier.wake();
    await eventually(() => receiver.received.length === 2);
    assert.deepEqual(
      receiver.received.map((r) => (JSON.parse(r.body) as { cpfCnpj: string }).cpfCnpj).sort(),
      CPFS.slice(0, 2).sort(),
    );
  });

  it('stops while a lane is looking for work: the look ends, and so does stop()', async () => {
    let answer!: (claim: null) => void;
    const claims = sinon.stub(stores.validations, 'claim').callsFake(() => new Promise((resolve) => (answer = resolve)));
    notifier.start();
    await eventually(() => claims.callCount === 1);
    const stopped = notifier.stop();
    answer(null); // nothing due: the lane would wait for a wake that no longer comes
    await stopped;
    assert.equal(claims.callCount, 1, 'no look after the stop');
  });
});
