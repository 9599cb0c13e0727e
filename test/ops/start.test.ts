import { strict as assert } from 'node:assert';
import { runToExit } from '../support/service';

describe('starting in production without bot credentials', () => {
  it('refuses with one line naming MicrosoftAppId and the opt-in, before connecting to anything', async () => {
    // A database nobody listens on: the refusal comes first, so it is never tried.
    const run = await runToExit({ MONGODB_URI: 'mongodb://127.0.0.1:1/gsan', CODE_PEPPER: 'p'.repeat(32) });
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], /^Configuração inválida: MicrosoftAppId: .*ALLOW_ANONYMOUS_BOT=true/);
  });
});
