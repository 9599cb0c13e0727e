import { strict as assert } from 'node:assert';
import { createServer, type AddressInfo } from 'node:net';
import { freePort } from '../support/ports';
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

describe('a start that cannot go on', function () {
  this.timeout(20_000);
  /** Runs the service to its exit: code 1 and exactly one line on standard error, matching `line`. */
  async function failsWith(env: Record<string, string>, line: RegExp): Promise<void> {
    const run = await runToExit(env);
    assert.equal(run.code, 1, run.stderr);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], line);
  }

  it('names the variable, in pt-BR, for a value that is not valid', async () => {
    await failsWith({ PORT: 'abc' }, /^Configuração inválida: PORT: deve ser um número inteiro de 0 a 65535$/);
    await failsWith({ LOG_LEVEL: 'verbose' }, /^Configuração inválida: LOG_LEVEL: deve ser um de: fatal, error/);
  });

  it('names the database host and the cause when MongoDB refuses, never the credentials', async () => {
    const port = await freePort();
    await failsWith(
      { MONGODB_URI: `mongodb://operador:segredo@127.0.0.1:${port}/gsan`, MONGODB_TIMEOUT_MS: '2000', CODE_PEPPER: 'p'.repeat(32), ALLOW_ANONYMOUS_BOT: 'true' },
      new RegExp(`^Não foi possível conectar ao MongoDB de MONGODB_URI \\(127\\.0\\.0\\.1:${port}\\): conexão recusada\\. Verifique`),
    );
  });

  it('names the cause of a MONGODB_URI whose SRV name does not resolve', async () => {
    await failsWith(
      { MONGODB_URI: 'mongodb+srv://cluster.nada.invalid/gsan', MONGODB_TIMEOUT_MS: '2000', CODE_PEPPER: 'p'.repeat(32), ALLOW_ANONYMOUS_BOT: 'true' },
      // `.invalid` never resolves (RFC 6761); a machine without any resolver says so differently.
      /^Não foi possível conectar ao MongoDB de MONGODB_URI \(cluster\.nada\.invalid\): (nome de host não encontrado|conexão recusada|sem resposta no tempo limite)\. Verifique/,
    );
  });

  it('names the port in use, and a HOST that is not this machine', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    try {
      await failsWith({ PORT: String(port) }, new RegExp(`^A porta 127\\.0\\.0\\.1:${port} já está em uso por outro programa\\. Escolha outra em PORT`));
    } finally {
      busy.close();
    }
    await failsWith({ HOST: '203.0.113.7' }, /^HOST 203\.0\.113\.7 não é um endereço desta máquina\./);
  });
});
