import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import { EmailValidationDialog } from '../../dialogs/emailValidationDialog';
import { RECIPIENT_LIMIT, SEND_LIMIT } from '../../services/domain/rules';
import { botTexts, texts } from '../../services/domain/texts';
import { codeIn } from '../support/smtp';
import { Chat, startServiceRig, type ServiceRig } from '../support/dialog';

const CPF = '02789078220';
const EMAIL = 'maria@exemplo.com.br';
const MASKED = 'm*****a@exemplo.com.br';

describe('EmailValidationDialog (DialogTestClient, real service, loopback SMTP)', () => {
  let rig: ServiceRig;
  let chat: Chat;

  const start = (options?: object) => {
    chat = new Chat(new EmailValidationDialog(rig.service, 'CAER'), options);
    return chat;
  };

  /** Runs the conversation up to the question for the code and returns the code that was mailed. */
  const upToCode = async (): Promise<string> => {
    await chat.say('oi');
    await chat.say(CPF);
    const seen = rig.smtp.mails.length;
    assert.deepEqual(await chat.say(EMAIL), [botTexts.codeSent(MASKED, 10), botTexts.askCode]);
    return codeIn(await rig.smtp.nextMail(seen));
  };

  beforeEach(async () => {
    rig = await startServiceRig();
    start();
  });
  afterEach(async () => {
    sinon.restore();
    await rig.close();
  });

  it('asks CPF/CNPJ, email, mails the code, and validates the email with it', async () => {
    assert.deepEqual(await chat.say('oi'), [botTexts.askDocument]);
    assert.deepEqual(await chat.say('027.890.782-20'), [botTexts.askEmail]);
    assert.deepEqual(await chat.say(EMAIL), [botTexts.codeSent(MASKED, 10), botTexts.askCode]);
    const mail = await rig.smtp.nextMail(0);
    assert.deepEqual(mail.envelopeTo, [EMAIL]);
    const code = codeIn(mail);

    const last = await chat.say(` ${code} `);
    assert.deepEqual(last, [botTexts.validated(MASKED)]);
    assert.match(last[0], /email validado/);
    assert.equal(chat.status, 'complete');
    assert.deepEqual(chat.result, { validado: 'S', mensagemCritica: '', emailValidado: EMAIL, cancelled: false });
    const client = await rig.stores.clients.find('CAER', CPF);
    assert.equal(client?.email, EMAIL);
    assert.ok(client?.emailValidatedAt, 'the email is marked validated');
  });

  it('never repeats the full CPF/CNPJ or the code back', async () => {
    const replies = [...(await chat.say('oi')), ...(await chat.say(CPF))];
    replies.push(...(await chat.say(EMAIL)));
    const code = codeIn(await rig.smtp.nextMail(0));
    replies.push(...(await chat.say('ajuda')), ...(await chat.say(code)));
    for (const text of replies) {
      assert.ok(!text.includes(CPF), text);
      assert.ok(!text.includes(code), text);
      assert.ok(!text.includes(EMAIL), text);
    }
  });

  it('re-asks an invalid CPF/CNPJ and goes on with a valid one', async () => {
    await chat.say('oi');
    assert.deepEqual(await chat.say('02789078221'), [botTexts.retryDocument]);
    assert.deepEqual(await chat.say('12.ABC.345/01DE-35'), [botTexts.askEmail]);
  });

  it('ends after three invalid CPF/CNPJ, mailing nothing', async () => {
    await chat.say('oi');
    assert.deepEqual(await chat.say('02789078221'), [botTexts.retryDocument]);
    assert.deepEqual(await chat.say('meu cpf é 111.111.111-11'), [botTexts.retryDocument]);
    assert.deepEqual(await chat.say('não sei, acho que é abc'), [botTexts.noDocument], 'no candidate: no try spent');
    assert.deepEqual(await chat.say('0278907822'), [botTexts.documentTriesSpent]);
    assert.equal(chat.status, 'complete');
    assert.deepEqual(chat.result, { validado: 'N', mensagemCritica: texts.invalidDocument, emailValidado: '', cancelled: false });
    assert.equal(rig.smtp.mails.length, 0);
  });

  it('re-asks an invalid email, and ends after three', async () => {
    await chat.say('oi');
    await chat.say(CPF);
    assert.deepEqual(await chat.say('maria@'), [botTexts.retryEmail]);
    assert.deepEqual(await chat.say('sem-arroba'), [botTexts.noEmail], 'no candidate: no try spent');
    assert.deepEqual(await chat.say('a@b.com, c@d.com'), [botTexts.twoEmails], 'two candidates: no try spent');
    assert.deepEqual(await chat.say('o email é maria@@exemplo.com'), [botTexts.retryEmail]);
    assert.deepEqual(await chat.say('maria@exemplo'), [botTexts.emailTriesSpent]);
    assert.deepEqual(chat.result, { validado: 'N', mensagemCritica: texts.invalidEmail, emailValidado: '', cancelled: false });
    assert.equal(rig.smtp.mails.length, 0);
  });

  it('relays "cliente não encontrado" word for word and ends, offering to start again', async () => {
    await chat.say('oi');
    await chat.say('52998224725');
    const [reply, ...more] = await chat.send(EMAIL);
    assert.equal(reply.text, 'Cliente não encontrado para o CPF/CNPJ informado.');
    assert.deepEqual(more, []);
    assert.deepEqual(reply.suggestedActions?.actions.map((a) => String(a.value)), ['recomeçar']);
    assert.equal(chat.status, 'complete');
    assert.deepEqual(chat.result, {
      validado: 'N',
      mensagemCritica: 'Cliente não encontrado para o CPF/CNPJ informado.',
      emailValidado: '',
      cancelled: false,
    });
    assert.deepEqual(await chat.say('recomeçar'), [botTexts.askDocument], 'the button starts over');
  });

  it('relays "semelhante" word for word and ends', async () => {
    await chat.say('oi');
    await chat.say('29378722040');
    assert.deepEqual(await chat.say('outro@gmail.com'), [
      'O cliente já possui um email cadastrado semelhante a aaa*****bbb@email.com. Caso deseje atualizar seu email, ' +
        'utilize nosso assistente virtual (ED - Assistente virtual da CAER), opção (Atualizar Somente o Email) ' +
        'disponível no site (www.caer.com.br).',
    ]);
    assert.equal(chat.status, 'complete');
    assert.equal(rig.smtp.mails.length, 0);
  });

  it('relays a failed send word for word and ends', async () => {
    await rig.close();
    rig = await startServiceRig('reject');
    start();
    await chat.say('oi');
    await chat.say(CPF);
    assert.deepEqual(await chat.say(EMAIL), [
      `Erro no envio do email! Verifique se o email informado (${MASKED}) está correto. Caso sim, tente novamente mais tarde.`,
    ]);
    assert.equal(chat.status, 'complete');
  });

  it('relays a wrong code, asks again, and accepts the right one', async () => {
    const code = await upToCode();
    const wrong = code === '000000' ? '111111' : '000000';
    assert.deepEqual(await chat.say(wrong), ['Código inválido. Você ainda tem 4 tentativas.', botTexts.askCodeAgain]);
    assert.deepEqual(await chat.say(wrong), ['Código inválido. Você ainda tem 3 tentativas.', botTexts.askCodeAgain]);
    assert.deepEqual(await chat.say(code), [botTexts.validated(MASKED)]);
    assert.equal((chat.result as { validado: string }).validado, 'S');
  });

  it('after the last wrong try says no tries are left and ends, offering to start again', async () => {
    const code = await upToCode();
    const wrong = code === '000000' ? '111111' : '000000';
    for (let left = 4; left >= 1; left--) {
      assert.deepEqual(await chat.say(wrong), [`Código inválido. Você ainda tem ${left} ${left === 1 ? 'tentativa' : 'tentativas'}.`, botTexts.askCodeAgain]);
    }
    const [last, ...more] = await chat.send(wrong);
    assert.equal(last.text, texts.lastAttemptSpent);
    assert.deepEqual(more, []);
    assert.deepEqual(last.suggestedActions?.actions.map((a) => String(a.value)), [botTexts.restartAction]);
    assert.equal(chat.status, 'complete');
    assert.deepEqual(chat.result, {
      validado: 'N',
      mensagemCritica: 'Código inválido. Não restam tentativas para este código: solicite um novo.',
      emailValidado: '',
      cancelled: false,
    });
  });

  it('re-asks a code that is not six digits without spending a try, and ends after three', async () => {
    await upToCode();
    assert.deepEqual(await chat.say('12345'), [botTexts.retryCode]);
    assert.deepEqual(await chat.say('abcdef'), [botTexts.noCode], 'no candidate: not one of the three');
    assert.deepEqual(await chat.say('o código é 1234567'), [botTexts.retryCode]);
    assert.deepEqual(await chat.say('123456 654321'), [botTexts.twoCodes], 'two candidates: not one of the three');
    assert.deepEqual(await chat.say('9999999'), [botTexts.codeTriesSpent]);
    assert.equal(chat.status, 'complete');
  });

  it('"reenviar" mails a new code, says the old one no longer counts, and asks for the new one as for the first', async () => {
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const first = await upToCode();
    let second = first;
    // A new code is the old one again once in a million: resend until it differs, within the codes
    // one address may get.
    for (let resends = 0; second === first && resends < RECIPIENT_LIMIT.max - 1; resends++) {
      clock.tick((SEND_LIMIT.intervalSeconds! + 1) * 1000); // past the interval between sends
      const seen = rig.smtp.mails.length;
      const replies = await chat.send('Reenviar');
      assert.ok(chat.typing, 'a typing indicator while the mail goes out');
      assert.deepEqual(replies.map((a) => a.text), [botTexts.codeResent(MASKED, 10), botTexts.askCode]);
      assert.deepEqual(replies[1].suggestedActions?.actions.map((a) => String(a.value)), ['reenviar', 'ajuda', 'cancelar']);
      second = codeIn(await rig.smtp.nextMail(seen));
    }
    assert.notEqual(second, first);
    assert.deepEqual(await chat.say(first), ['Código inválido. Você ainda tem 4 tentativas.', botTexts.askCodeAgain]);
    assert.deepEqual(await chat.say(second), [botTexts.validated(MASKED)]);
  });

  it('"reenviar" too soon relays the limit, says the code sent still works, and asks for it', async () => {
    const code = await upToCode();
    const replies = await chat.send('reenviar');
    assert.deepEqual(replies.map((a) => a.text), ['Muitas solicitações. Aguarde 1 minuto e tente novamente.', botTexts.codeStillValid]);
    assert.equal(replies[1].inputHint, 'expectingInput');
    assert.deepEqual(replies[1].suggestedActions?.actions.map((a) => String(a.value)), [...botTexts.codeActions]);
    assert.equal(chat.status, 'waiting');
    assert.deepEqual(await chat.say(code), [botTexts.validated(MASKED)]);
  });

  it('relays any other refusal of the confirmation word for word and ends (e.g. locked)', async () => {
    const code = await upToCode();
    // 19 earlier failures of this client; the next wrong code is the 20th and locks it.
    for (let i = 0; i < 19; i++) await rig.stores.limits.addFailure(`CAER:${CPF}`);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    assert.deepEqual(await chat.say(wrong), ['Muitas tentativas incorretas. Tente novamente mais tarde.']);
    assert.equal(chat.status, 'complete');
    assert.deepEqual(chat.result, {
      validado: 'N',
      mensagemCritica: 'Muitas tentativas incorretas. Tente novamente mais tarde.',
      emailValidado: '',
      cancelled: false,
    });
  });

  it('asks the service for the bot company by sigla, naming the conversation and its user', async () => {
    const send = sinon.spy(rig.service, 'sendCode');
    await upToCode();
    const conversation = { channelId: 'test', id: 'Convo1', userId: 'user1' };
    assert.deepEqual(send.firstCall.args, [{ sigla: 'CAER' }, { cpfCnpj: CPF, email: EMAIL, conversation }]);
  });

  for (const word of ['cancelar', 'SAIR ']) {
    it(`"${word.trim()}" ends the conversation anywhere`, async () => {
      await chat.say('oi');
      assert.deepEqual(await chat.say(word), [botTexts.cancelled]);
      assert.equal(chat.status, 'complete');
      assert.deepEqual(chat.result, { validado: 'N', mensagemCritica: '', emailValidado: '', cancelled: true });
    });
  }

  it('"sair" while waiting for the code ends it too', async () => {
    await upToCode();
    assert.deepEqual(await chat.say('sair'), [botTexts.cancelled]);
    assert.equal((chat.result as { cancelled: boolean }).cancelled, true);
  });

  it('"cancelar" as the very first message ends before asking anything', async () => {
    assert.deepEqual(await chat.say('cancelar'), [botTexts.nothingToCancel]);
    assert.equal(chat.status, 'complete');
  });

  it('"ajuda" explains the current step and asks its question again', async () => {
    assert.deepEqual(await chat.say('ajuda'), [botTexts.help.general, botTexts.askDocument]);
    assert.deepEqual(await chat.say('ajuda'), [botTexts.help.document, botTexts.askDocument]);
    await chat.say(CPF);
    assert.deepEqual(await chat.say('Ajuda'), [botTexts.help.email, botTexts.askEmail]);
    await chat.say(EMAIL);
    assert.deepEqual(await chat.say('ajuda'), [botTexts.help.code, botTexts.askCode]);
    assert.equal(chat.status, 'waiting');
  });

  it('started with both values valid, goes straight to the code', async () => {
    start({ cpfCnpj: '027.890.782-20', email: EMAIL });
    assert.deepEqual(await chat.say({ type: 'event', name: 'enviarCodigoValidacaoEmailCliente' }), [
      botTexts.codeSent(MASKED, 10),
      botTexts.askCode,
    ]);
    const code = codeIn(await rig.smtp.nextMail(0));
    assert.deepEqual(await chat.say(code), [botTexts.validated(MASKED)]);
  });

  it('started with an invalid CPF/CNPJ, asks for it again, then skips the valid email', async () => {
    start({ cpfCnpj: '02789078221', email: EMAIL });
    assert.deepEqual(await chat.say({ type: 'event', name: 'enviarCodigoValidacaoEmailCliente' }), [
      botTexts.retryDocument,
    ]);
    assert.deepEqual(await chat.say(CPF), [botTexts.codeSent(MASKED, 10), botTexts.askCode]);
  });

  it('started with only the CPF/CNPJ, asks for the email', async () => {
    start({ cpfCnpj: CPF });
    assert.deepEqual(await chat.say({ type: 'event', name: 'enviarCodigoValidacaoEmailCliente' }), [botTexts.askEmail]);
  });
});
