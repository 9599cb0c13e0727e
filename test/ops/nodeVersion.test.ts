import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIN_NODE, unsupportedNode } from '../../services/runtime/nodeVersion';
import { runToExit } from '../support/service';

/** An older Node.js is refused first, in one line, instead of failing deep in the start with a misleading cause. */
describe('the Node.js the service runs on', function () {
  this.timeout(20_000);

  it("is package.json's engines", () => {
    const engines = (JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { engines: { node: string } }).engines;
    assert.equal(engines.node, `>=${MIN_NODE.major}.${MIN_NODE.minor}`);
  });

  it('refuses an older one and accepts the supported ones', () => {
    for (const old of ['v20.20.2', 'v22.11.0', 'v18.19.1', 'v21.7.3']) assert.match(unsupportedNode(old) ?? '', new RegExp(`22\\.12 ou mais novo.*mas este é o ${old.replace(/\./g, '\\.')}\\.`));
    for (const ok of ['v22.12.0', 'v22.20.1', 'v24.21.0', 'v26.0.0']) assert.equal(unsupportedNode(ok), null);
  });

  it('the service on an older one: one line naming both versions, before reading anything else', async () => {
    // The version the process reports, made older before the service's code runs.
    const older = "data:text/javascript,Object.defineProperty(process,'version',{value:'v20.20.2'})";
    const run = await runToExit({ NODE_OPTIONS: `--import=${older}`, MONGODB_URI: 'mongodb://127.0.0.1:1/gsan' });
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.deepEqual(run.stderr.trim().split('\n'), [unsupportedNode('v20.20.2')]);
  });
});
