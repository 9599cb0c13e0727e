import { strict as assert } from 'node:assert';
import { countCommands, type CommandCount } from '../support/commands';

/**
 * The database commands of each request of a validation, on MongoDB (docs/performance.md, "What a
 * validation costs the database"). A count is not a timing: it is the same on every machine, so a
 * change that adds a round trip fails here and says which. Runs whenever `MONGODB_URI` is set.
 */

/** Each step of the scenario (test/support/commands.ts) and the commands it sends, in order. */
const EXPECTED: Record<string, string[]> = {
  // The first request for a company on an instance reads it; the next ones, for COMPANY_CACHE_MS, do not.
  'webhook: send, the key not yet cached': [
    'find companies',
    'findAndModify counters', // this second's bucket of the company's lookups: none yet (the first lookup of a second)
    'findAndModify counters', // so a new bucket
    'find clients',
    'find limits',
    'update counters',
    'update codes',
  ],
  'webhook: send': [
    'findAndModify counters', // the company's lookups in the last 60 s, one more, in this second's bucket: none yet
    'findAndModify counters', // so this second's bucket is made (a busy second's later lookups skip this)
    'find clients', // the client and its email
    'find limits', // the client's lock and failures
    'update counters', // the client's sends and the mailbox's codes, both at once
    'update codes', // the code, once the SMTP server took the mail
  ],
  'webhook: confirm, the right code': [
    'find limits', // the client's lock and failures
    'find codes', // the live code
    'find companies', // the company as it is now: what is recorded lasts
    'delete codes', // used: gone
    'findAndModify clients', // the email validated, with its validation record
  ],
  'webhook: confirm, no live code': ['find limits', 'find codes'],
  'webhook: confirm, a wrong code': [
    'find limits',
    'find codes',
    'findAndModify codes', // one try less on that code
    'findAndModify limits', // one more consecutive failure of the client
  ],
  'webhook: confirm, the right code after a wrong one': [
    'find limits',
    'find codes',
    'find companies',
    'delete codes',
    'delete limits', // the failures no longer count
    'findAndModify clients',
  ],
  // A turn reads the conversation's state once and writes it once.
  'conversation: the first message (asks the CPF/CNPJ)': ['find botState', 'update botState'],
  'conversation: the CPF/CNPJ (asks the email)': ['find botState', 'update botState'],
  'conversation: the email (sends the code)': [
    'find botState',
    'update counters', // the conversation's documents and the channel user's lookups, both at once
    'findAndModify counters',
    'findAndModify counters', // the company's budget: this second's bucket made, as in the send
    'find clients',
    'find limits',
    'update counters',
    'update codes',
    'update botState',
  ],
  'conversation: the code (validated, the state removed)': [
    'find botState',
    'find limits',
    'find codes',
    'find companies',
    'delete codes',
    'findAndModify clients',
    'delete botState',
  ],
  'notification: one delivered, then the next looked for': [
    'find companies', // the companies with a destination, once per poll
    'findAndModify clients', // a lease on the client whose notification is due
    'update clients', // delivered: recorded, the lease ended
    'findAndModify clients', // the next one due: none
  ],
};

describe('database commands of each request, on MongoDB', function () {
  this.timeout(60_000);
  let counts: CommandCount[];

  before(async function () {
    const uri = process.env.MONGODB_URI;
    if (!uri) {
      console.log('  (MONGODB_URI is not set: the database command counts are skipped)');
      return this.skip();
    }
    counts = await countCommands(uri);
  });

  it('runs every step of the scenario, in order', () => {
    assert.deepEqual(
      counts.map((c) => c.step),
      Object.keys(EXPECTED),
    );
  });

  for (const [step, commands] of Object.entries(EXPECTED)) {
    it(`${step}: ${commands.length}`, () => {
      assert.deepEqual(counts.find((c) => c.step === step)?.commands, commands);
    });
  }
});
