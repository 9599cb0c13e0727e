/**
 * Every user-facing text of the product, in pt-BR, exactly as CONTRACT.md gives them.
 * Nothing else in the code base writes a sentence a customer reads.
 */

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
  noLiveCode: 'Código expirado ou inexistente. Solicite um novo código.',
  locked: 'Muitas tentativas incorretas. Tente novamente mais tarde.',
  invalidCodeFormat: 'Código inválido. Informe os 6 dígitos recebidos por email.',

  invalidRequestDetail: (field: string) => `Requisição inválida. Campo "${field}" ausente ou não é texto.`,

  similarEmail: (maskedStored: string, assistant: string, site: string) =>
    `O cliente já possui um email cadastrado semelhante a ${maskedStored}. Caso deseje atualizar seu email, ` +
    `utilize nosso assistente virtual (${assistant}), opção (Atualizar Somente o Email) disponível no site (${site}).`,

  mailFailed: (maskedSent: string) =>
    `Erro no envio do email! Verifique se o email informado (${maskedSent}) está correto. Caso sim, tente novamente mais tarde.`,

  tooManySends: (minutes: number) => `Muitas solicitações. Aguarde ${minutes} minuto(s) e tente novamente.`,

  wrongCode: (attemptsLeft: number) => `Código inválido. Você ainda tem ${attemptsLeft} tentativa(s).`,
} as const;

/** The validation email (CONTRACT §4). */
export const mailTexts = {
  subject: (companySigla: string) => `${companySigla}: seu código de validação de email`,
  lines: (code: string, companyName: string, ttlMinutes: number) => [
    'Olá!',
    '',
    `Seu código de validação de email é: ${code}`,
    '',
    `Ele expira em ${ttlMinutes} minutos.`,
    'Não compartilhe este código com ninguém; nenhum atendente pedirá por ele.',
    'Se você não solicitou esta validação, ignore esta mensagem.',
    '',
    `Atenciosamente,`,
    companyName,
  ],
} as const;
