/**
 * Every user-facing text of the product, in pt-BR, exactly as docs/api.md gives them.
 * Nothing else in the code base writes a sentence a customer reads.
 */

/** A count and its noun in pt-BR: `1 minuto`, `51 minutos`. */
export const counted = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export const texts = {
  ok: '',
  clientNotFound: 'Cliente não encontrado para o CPF/CNPJ informado.',
  invalidDocument: 'CPF/CNPJ inválido.',
  invalidEmail: 'Email inválido.',
  invalidRequest: 'Requisição inválida.',
  invalidKey: 'Chave de autenticação inválida.',
  unavailable: 'Serviço temporariamente indisponível. Tente novamente mais tarde.',
  tooLarge: 'Requisição muito grande.',
  notJson: 'O conteúdo deve ser JSON.',
  methodNotAllowed: 'Método não permitido.',
  notFound: 'Page not found',
  lastAttemptSpent: 'Código inválido. Não restam tentativas para este código: solicite um novo.',
  noLiveCode: 'Código expirado ou inexistente. Solicite um novo código.',
  locked: 'Muitas tentativas incorretas. Tente novamente mais tarde.',
  invalidCodeFormat: 'Código inválido. Informe os 6 dígitos recebidos por email.',

  invalidRequestDetail: (field: string) => `Requisição inválida. Campo "${field}" ausente ou não é texto.`,

  similarEmail: (maskedStored: string, assistant: string, site: string) =>
    `O cliente já possui um email cadastrado semelhante a ${maskedStored}. Caso deseje atualizar seu email, ` +
    `utilize nosso assistente virtual (${assistant}), opção (Atualizar Somente o Email) disponível no site (${site}).`,

  mailFailed: (maskedSent: string) =>
    `Erro no envio do email! Verifique se o email informado (${maskedSent}) está correto. Caso sim, tente novamente mais tarde.`,

  tooManySends: (minutes: number) => `Muitas solicitações. Aguarde ${counted(minutes, 'minuto', 'minutos')} e tente novamente.`,

  wrongCode: (attemptsLeft: number) => `Código inválido. Você ainda tem ${counted(attemptsLeft, 'tentativa', 'tentativas')}.`,
} as const;

/** The validation email (docs/api.md §4). */
export const mailTexts = {
  subject: (companySigla: string) => `${companySigla}: seu código de validação de email`,
  lines: (code: string, companyName: string, ttlMinutes: number) => [
    'Olá!',
    '',
    `Seu código de validação de email é: ${code}`,
    '',
    `Ele expira em ${counted(ttlMinutes, 'minuto', 'minutos')}.`,
    'Não compartilhe este código com ninguém; nenhum atendente pedirá por ele.',
    'Se você não solicitou esta validação, ignore esta mensagem.',
    '',
    `Atenciosamente,`,
    companyName,
  ],
} as const;

/**
 * The conversation on `/api/messages` (docs/api.md §5). What the service answers (`mensagemCritica`)
 * is relayed as it comes; these are the dialog's own words around it.
 */
export const botTexts = {
  /**
   * Words the person types that steer the conversation (docs/api.md §5), written as they are compared:
   * lower case, without accents or punctuation (`dialogs/sentences.ts`, `plainWords`).
   */
  words: {
    /** The whole message: `Cancelar!` cancels, `não quero cancelar` does not. */
    cancel: ['cancelar', 'sair'],
    help: ['ajuda'],
    /** A thanks or goodbye alone, after the conversation ended: a short goodbye, no new validation. */
    thanks: ['obrigado', 'obrigada', 'muito obrigado', 'muito obrigada', 'valeu', 'tchau', 'ok', 'okay', 'beleza', 'ate logo', 'ate mais'],
    /** Anywhere in the message at the code step: a new code. */
    resend: ['reenviar', 'reenvia', 'reenvie', 'nao recebi', 'nao chegou', 'manda de novo', 'mande de novo', 'envia de novo', 'envie de novo', 'manda outro', 'mande outro', 'outro codigo', 'novo codigo'],
    /** The whole message, to `Você quis dizer …?`. */
    yes: ['s', 'sim', 'isso', 'isso mesmo', 'correto', 'certo', 'sim obrigado', 'sim obrigada'],
    no: ['n', 'nao', 'nao obrigado', 'nao obrigada', 'nao e', 'errado'],
    /** Anywhere in the message at the code step: back to the email question. */
    changeEmail: ['errei o email', 'trocar o email', 'troca o email', 'trocar email', 'mudar o email', 'corrigir o email', 'outro email', 'email errado', 'email esta errado'],
  },

  welcome:
    'Olá! Eu valido o seu email: envio um código de 6 dígitos para ele e você me diz qual chegou. ' +
    'Mande qualquer mensagem para começar. A qualquer momento, digite ajuda para saber o que está acontecendo ' +
    'ou cancelar para sair.',

  askDocument: 'Para começar, informe o CPF ou CNPJ do titular da conta de água.',
  noDocument: 'Não encontrei um CPF ou CNPJ na sua mensagem. Informe o do titular da conta, por exemplo 123.456.789-09.',
  twoDocuments: 'Encontrei mais de um CPF/CNPJ na sua mensagem. Informe apenas o do titular da conta.',
  retryDocument: 'CPF/CNPJ inválido. Confira os números e informe novamente o CPF ou CNPJ do titular.',
  documentTriesSpent: 'CPF/CNPJ inválido outra vez. Encerrei o atendimento; quando quiser, é só recomeçar.',

  askEmail: 'Agora informe o email que você deseja validar.',
  /** docs/api.md §7: an address that looks misspelt (services/domain/emailSuggestion.ts), asked about once. */
  didYouMean: (suggestion: string) => `Você quis dizer ${suggestion}?`,
  /** The buttons of that question; typing `s`, `sim`, `n`, `não` works everywhere. */
  yesNoActions: ['sim', 'não'],
  askOtherEmail: 'Tudo bem. Informe o email correto que você deseja validar.',
  noEmail: 'Não encontrei um email na sua mensagem. Informe o email que deseja validar, por exemplo nome@exemplo.com.br.',
  twoEmails: 'Encontrei mais de um email na sua mensagem. Informe apenas o que você deseja validar.',
  retryEmail: 'Email inválido. Informe um único endereço, por exemplo nome@exemplo.com.br.',
  emailTriesSpent: 'Email inválido outra vez. Encerrei o atendimento; quando quiser, é só recomeçar.',

  codeSent: (maskedEmail: string, ttlMinutes: number) =>
    `Enviei um código de 6 dígitos para ${maskedEmail}. Ele vale por ${counted(ttlMinutes, 'minuto', 'minutos')}.`,
  codeResent: (maskedEmail: string, ttlMinutes: number) =>
    `Enviei um novo código para ${maskedEmail}; o anterior não vale mais. Ele vale por ${counted(ttlMinutes, 'minuto', 'minutos')}.`,
  askCode: 'Digite o código que chegou no seu email. Se ele não chegou, digite reenviar.',
  askCodeAgain: 'Digite o código de novo, ou reenviar para receber outro.',
  /** After a `reenviar` refused by the send limits while the code already sent is alive. */
  codeStillValid: 'O código que enviei continua valendo: digite-o aqui.',
  noCode: 'Não encontrei o código na sua mensagem. Digite os 6 dígitos recebidos por email, por exemplo 123456, ou reenviar para receber outro.',
  twoCodes: 'Encontrei mais de um código na sua mensagem. Digite apenas o último que chegou no seu email.',
  retryCode: 'Código inválido. Informe os 6 dígitos recebidos por email, ou digite reenviar para receber outro.',
  codeTriesSpent: 'Não reconheci um código de 6 dígitos. Encerrei o atendimento; quando quiser, é só recomeçar.',

  validated: (maskedEmail: string) => `Pronto, email validado! O endereço ${maskedEmail} está confirmado no seu cadastro.`,

  cancelled: 'Tudo bem, cancelei a validação do email. Quando quiser, é só mandar uma mensagem.',
  /** Called as a skill, the person's next message goes to the root bot: no invitation to write again. */
  cancelledForRoot: 'Tudo bem, cancelei a validação do email.',
  goodbye: 'Por nada! Até a próxima.',
  nothingToCancel: 'Não há nenhuma validação em andamento. Quando quiser validar o seu email, é só mandar uma mensagem.',

  /** The button after an ending the person can fix by starting again (a CPF/CNPJ or an email typed wrong). */
  restartAction: 'recomeçar',

  /** What the buttons at the code step say (channels that show suggested actions); typing them works everywhere. */
  codeActions: ['reenviar', 'ajuda', 'cancelar'],

  help: {
    general:
      'Eu valido o seu email em três passos: você informa o CPF ou CNPJ do titular, depois o email, e eu envio ' +
      'para ele um código de 6 dígitos que você digita aqui. Digite cancelar ou sair para encerrar.',
    document:
      'Preciso do CPF (11 dígitos) ou CNPJ (14 caracteres) do titular da conta, para encontrar o seu cadastro. ' +
      'Pode digitar com ou sem pontos e traços. Digite cancelar ou sair para encerrar.',
    email:
      'Agora preciso do email que você quer validar: vou enviar para ele um código de 6 dígitos. ' +
      'Digite cancelar ou sair para encerrar.',
    code:
      'Enviei um código de 6 dígitos para o seu email; confira também a caixa de spam. Digite o código aqui, ' +
      'ou reenviar para receber um novo. Digite cancelar ou sair para encerrar.',
  },

  unexpectedError: 'Desculpe, algo deu errado do nosso lado e encerrei o atendimento. Tente novamente mais tarde.',
} as const;
