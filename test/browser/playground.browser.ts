import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { simpleParser } from 'mailparser';
import { chromium, type Browser, type Page } from 'playwright-core';
import { MAX_ATTEMPTS_PER_CODE } from '../../services/domain/rules';
import { botTexts, texts } from '../../services/domain/texts';
import { freePort } from '../support/ports';
import { startService, type ServiceProcess } from '../support/service';

/**
 * The conversation in Microsoft's Agents Playground, driven in Debian's Chromium: what a person
 * trying the bot sees. `npm run test:browser` (CI runs it); a screenshot of the run goes to
 * docs/playground.png for the README.
 */

const ROOT = resolve(__dirname, '../..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const EMAIL = 'maria@exemplo.com.br';
const MASKED = 'm*****a@exemplo.com.br';

describe('the conversation in the Agents Playground (headless Chromium)', function () {
  this.timeout(120_000);
  let outbox: string;
  let service: ServiceProcess;
  let playground: ChildProcess;
  let browser: Browser;
  let page: Page;

  before(async () => {
    outbox = await mkdtemp(join(tmpdir(), 'gsan-outbox-'));
    // A fresh in-memory store: no send limit carries over from an earlier run.
    service = await startService({ OUTBOX_DIR: outbox });
    const port = await freePort();
    playground = spawn(
      join(ROOT, 'node_modules/.bin/agentsplayground'),
      // No --su: the Playground's own connector address, http://localhost:<port>/_connector (docs/api.md §5).
      ['-e', `${service.baseUrl}/api/messages`, '-c', 'emulator', '-p', String(port)],
      { env: { ...process.env, TEAMSAPPTESTER_BROWSER: 'none' }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((ready) => playground.stdout!.on('data', (chunk: Buffer) => /Listening on/.test(String(chunk)) && ready()));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    // The custom-activity editor takes a pasted activity: the page may use the clipboard.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: `http://127.0.0.1:${port}` });
    page = await context.newPage();
    // The page asks a CDN for fonts and animations: offline here, and only the look changes.
    await page.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
    await page.goto(`http://127.0.0.1:${port}/`);
  });

  after(async () => {
    await browser?.close();
    playground?.kill();
    await service?.stop();
    await rm(outbox, { recursive: true, force: true });
  });

  /** Waits until the page shows `text` as a whole element's text: a bubble (the test's timeout catches one that never comes). */
  const shows = (text: string) => page.getByText(text, { exact: true }).first().waitFor({ timeout: 0 });
  const say = async (text: string) => {
    const box = page.getByRole('textbox');
    await box.click();
    await box.fill(text);
    await page.keyboard.press('Enter');
    await shows(text);
  };
  const newestCode = async () => {
    const files = (await readdir(outbox)).sort();
    const eml = await readFile(join(outbox, files.at(-1)!), 'utf8');
    return /=C3=A9: (\d{6})|é: (\d{6})/.exec(eml)!.slice(1).find(Boolean)!;
  };

  it('walks greeting, CPF, email (in sentences), a wrong code and the right one, with no error bubble and the mask as plain text', async () => {
    await shows(botTexts.welcome);
    await say('oi');
    await shows(botTexts.askDocument);
    await say('meu cpf é 027.890.782-20');
    await shows(botTexts.askEmail);
    await say(`o meu email é ${EMAIL}`);
    await shows(botTexts.codeSent(MASKED, 10));
    await shows(botTexts.askCode);
    const code = await newestCode();
    await say(code === '000000' ? '111111' : '000000');
    await shows(texts.wrongCode(MAX_ATTEMPTS_PER_CODE - 1));
    await say(code);
    await shows(botTexts.validated(MASKED));

    assert.ok(!(await page.content()).includes(botTexts.unexpectedError), 'no error bubble');
    assert.equal(await page.locator('a[href^="mailto:"]').count(), 0, 'the masked address is no link');
    await page.screenshot({ path: join(ROOT, 'docs/playground.png') });
  });

  it("starts with the skill's event from the custom-activity editor, asking only for the code", async () => {
    await page.getByText('Mock an Activity').click();
    await page.getByRole('menuitem', { name: 'Custom activity' }).click();
    const editor = page.locator('.monaco-editor').first();
    await editor.waitFor();
    // The editor opens on an activity of this conversation: its addresses are kept, the rest replaced.
    const shown = (await page.locator('.monaco-editor .view-line').allTextContents()).join('\n').replace(/\u00a0/g, ' ');
    const field = (pattern: RegExp) => pattern.exec(shown)![1];
    const activity = {
      type: 'event',
      name: 'enviarCodigoValidacaoEmailCliente',
      value: { cpfCnpj: '12.ABC.345/01DE-35', email: 'padaria@exemplo.com.br' },
      channelId: 'emulator',
      serviceUrl: field(/"serviceUrl": "([^"]+)"/),
      recipient: { id: field(/"recipient": \{\s*"id": "([^"]+)"/) },
      conversation: { id: field(/"conversation": \{\s*"id": "([^"]+)"/), conversationType: 'personal' },
      from: { id: field(/"from": \{\s*"id": "([^"]+)"/) },
    };
    await editor.click();
    await page.keyboard.press('Control+A');
    // Pasted, not typed: the editor would close every brace and quote typed into it.
    await page.evaluate(`navigator.clipboard.writeText(${JSON.stringify(JSON.stringify(activity))})`);
    await page.keyboard.press('Control+V');
    await page.getByRole('button', { name: 'Send activity' }).click();
    await shows(botTexts.codeSent('pa*****ia@exemplo.com.br', 10));
    assert.ok(!(await page.content()).includes(botTexts.unexpectedError), 'no error bubble');
  });

  it('renders the validation mail that went out as a person sees it (docs/email.png)', async () => {
    const mail = await simpleParser(await readFile(join(outbox, (await readdir(outbox)).sort().at(-1)!)));
    assert.ok(typeof mail.html === 'string' && mail.html.includes('Seu código de validação de email é:'));
    const header = (label: string, value: string) => `<div><b>${label}:</b> ${escapeHtml(value)}</div>`;
    const view = await browser.newPage({ viewport: { width: 720, height: 480 } });
    await view.setContent(
      '<div style="font-family:Arial,sans-serif;font-size:14px;padding:12px 16px;background:#f3f3f3;border-bottom:1px solid #ccc">' +
        header('De', `${mail.from?.text ?? ''}`) +
        header('Para', mail.to && !Array.isArray(mail.to) ? mail.to.text : '') +
        header('Assunto', mail.subject ?? '') +
        `</div><iframe style="border:0;width:100%;height:400px" srcdoc="${escapeHtml(mail.html)}"></iframe>`,
    );
    await view.screenshot({ path: join(ROOT, 'docs/email.png') });
    await view.close();
  });
});

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
