import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startService } from '../support/service';

/**
 * `.env` is read by the service and the admin command themselves, from the folder they run in, when
 * it exists (`services/runtime/envFile.ts`): never a word about a missing one, the environment wins.
 */

const ROOT = resolve(__dirname, '../..');

/** The admin command as its bin runs it, in `cwd`, with only `env` and `PATH`. */
function admin(argv: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'admin/cli.ts'), ...argv], {
    cwd,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((done) => child.once('close', (code) => done({ code, stdout, stderr })));
}

describe('.env, read when it exists', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(async () => {
    // Under var/ of the clone: tsx and its configuration are found from there, as in a clone.
    await mkdir(join(ROOT, 'var'), { recursive: true });
    dir = await mkdtemp(join(ROOT, 'var', 'env-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('without one, the admin command and the service say nothing on standard error', async () => {
    const help = await admin(['--help'], dir);
    assert.equal(help.code, 0);
    assert.equal(help.stderr, '');
    assert.match(help.stdout, /^Uso: npx gsan-email-admin/);
    const service = await startService({}, dir);
    assert.equal(await service.stop(), 0);
    assert.equal(service.stderr(), '');
  });

  it('the admin command reads it, and a variable of the environment wins over it', async () => {
    await writeFile(join(dir, '.env'), 'MONGODB_URI=mongodb://127.0.0.1:1/gsan\nMONGODB_TIMEOUT_MS=200\nCODE_PEPPER=curto\n');
    const fromFile = await admin(['empresa', 'listar'], dir);
    assert.equal(fromFile.code, 1);
    assert.equal(fromFile.stderr, 'Erro: Configuração inválida: CODE_PEPPER: deve ter ao menos 32 caracteres\n');
    const overridden = await admin(['empresa', 'listar'], dir, { CODE_PEPPER: 'p'.repeat(32) });
    assert.equal(overridden.code, 1);
    assert.match(overridden.stderr, /^Erro: Não foi possível conectar ao MongoDB de MONGODB_URI \(127\.0\.0\.1:1\)/);
  });

  it('the service reads it', async () => {
    await writeFile(join(dir, '.env'), 'PUBLIC_URL=https://validacao.exemplo.com.br\n');
    const service = await startService({}, dir);
    const listening = service.lines().find((l) => l.msg === 'listening');
    assert.equal(await service.stop(), 0);
    assert.equal((listening?.bot as { manifest: string }).manifest, 'https://validacao.exemplo.com.br/manifest/gsan-email-validation-manifest.json');
  });

  it('the service says which of its variables Node reads only at its start, so they did nothing (a private CA for the mail server)', async () => {
    await writeFile(join(dir, '.env'), 'NODE_EXTRA_CA_CERTS=/etc/ssl/utility-ca.pem\nPUBLIC_URL=https://validacao.exemplo.com.br\n');
    const service = await startService({}, dir);
    assert.equal(await service.stop(), 0);
    const warned = service.lines().filter((l) => l.level === 'warn' && l.msg.startsWith('.env sets variables Node reads only'));
    assert.deepEqual(warned.map((l) => l.variables), [['NODE_EXTRA_CA_CERTS']]);
    // Set in the environment of the process, as the warning says, it is no concern of the service.
    const fromEnvironment = await startService({ NODE_EXTRA_CA_CERTS: '/etc/ssl/utility-ca.pem' }, dir);
    assert.equal(await fromEnvironment.stop(), 0);
    assert.ok(!fromEnvironment.lines().some((l) => l.msg.startsWith('.env sets')));
  });

  it('npm start and npm run admin leave it to the code: no --env-file flag, which speaks up when the file is missing', async () => {
    const { scripts } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const name of ['start', 'dev', 'admin']) assert.doesNotMatch(scripts[name], /--env-file/, `npm run ${name}`);
  });
});
