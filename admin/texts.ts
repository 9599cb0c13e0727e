import type { IndexChange } from '../services/store/indexes';
import { COMPANY_CACHE_MS } from '../services/store/companyCache';
import type { Backlog, Company, DeliveryState, ValidationOrigin } from '../services/store/types';
import { printable } from './common';

/**
 * Every text the administration command writes, in pt-BR. The operator reads these; customers never do
 * (their texts live in `services/domain/texts.ts`).
 */

const fmt = (n: number) => n.toLocaleString('pt-BR');

/** `n` (with thousands separators) and the word for one or for many: `1 empresa`, `1.234 empresas`. */
export const counted = (n: number, one: string, many: string) => `${fmt(n)} ${n === 1 ? one : many}`;

/** A time to the second, as the CLI shows it: `2026-11-30 14:05:09`. */
const utc = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

/**
 * Each command's line and what it does, for `--help` (all, in this order) and `<comando> --help`
 * (one). Its names are the CLI's table (`admin/cli.ts` is typed by them): a command cannot be added
 * to one without the other.
 */
export const commandUsage = {
  'empresa criar':
    'empresa criar --sigla SIGLA --nome NOME --assistente ASSISTENTE --site SITE --remetente EMAIL\n' +
    '      Cria a empresa e imprime a sua chave: só ela na saída padrão, uma única vez.',
  'empresa nova-chave':
    'empresa nova-chave --sigla SIGLA [--manter-anterior 24h]\n' +
    '      Gera uma nova chave (só ela na saída padrão). A anterior deixa de valer já, ou depois do tempo\n' +
    '      dado em horas (24h) ou minutos (30min), no máximo 168h.',
  'empresa listar': 'empresa listar\n      Lista as empresas, sem chaves nem hashes, com o destino das notificações e o que falta entregar.',
  'empresa configurar-notificacao':
    'empresa configurar-notificacao --sigla SIGLA --url https://… [--manter-anterior 24h]\n' +
    '      Passa a notificar cada validação da empresa nessa URL (https; http só para localhost) e imprime o\n' +
    '      segredo de assinatura: só ele na saída padrão, uma única vez. Rodar de novo troca a URL e o segredo;\n' +
    '      com --manter-anterior, cada notificação leva também a assinatura do segredo anterior por esse tempo.',
  'empresa recifrar-segredos':
    'empresa recifrar-segredos\n' +
    '      Na troca do CODE_PEPPER: cifra de novo, sob o CODE_PEPPER, os segredos de assinatura cifrados sob\n' +
    '      CODE_PEPPER_FALLBACK. Os segredos não mudam: nada a entregar às empresas.',
  'empresa remover-notificacao':
    'empresa remover-notificacao --sigla SIGLA\n' +
    '      Deixa de notificar a empresa. As validações que faltavam entregar ficam guardadas (validacoes reenviar).',
  'validacoes reenviar':
    'validacoes reenviar --sigla SIGLA --desde DATA [--ate DATA]\n' +
    '      Põe de novo na fila de notificação as validações do período que falharam ou foram feitas quando a\n' +
    '      empresa não tinha destino.',
  'validacoes exportar':
    'validacoes exportar --sigla SIGLA --desde DATA [--ate DATA] > validados.csv\n' +
    '      Escreve na saída padrão, em CSV (UTF-8, ";"), as validações do período: cpfCnpj;email;validadoEm.\n' +
    '      O progresso vai para a saída de erros.',
  'clientes importar':
    'clientes importar --sigla SIGLA ARQUIVO.csv\n' +
    '      Importa os clientes do CSV (caminho relativo à pasta de onde o comando foi chamado): cabeçalho com\n' +
    '      cpfCnpj, nome e email, separados por ";" ou ",", em UTF-8 ou Latin-1. O resumo vai para a saída de erros.',
  'clientes consultar':
    'clientes consultar --sigla SIGLA --cpf CPF_OU_CNPJ\n' +
    '      LGPD (acesso): mostra o que o serviço guarda do cliente: nome, email, validações e as suas\n' +
    '      notificações, e quando vencem os seus códigos (nunca um código).',
  'clientes esquecer':
    'clientes esquecer --sigla SIGLA --cpf CPF_OU_CNPJ\n' +
    '      LGPD (eliminação): apaga o email do cliente, as suas validações, as notificações pendentes e os\n' +
    '      códigos. O nome e o CPF/CNPJ ficam, como vieram do GSAN.',
  'indices aplicar':
    'indices aplicar\n' +
    '      Cria ou altera os índices do MongoDB como esta versão espera (o início do serviço só cria os de um banco\n' +
    '      novo e avisa do resto). Rode de um só lugar, fora do horário de pico: numa coleção grande leva minutos.',
} satisfies Record<string, string>;

export type CommandName = keyof typeof commandUsage;

const usageOf = (lines: string[]) => `Uso: npx gsan-email-admin <comando> [opções] [--json]   (num clone: npm run admin -- …)

${lines.map((line) => `  ${line}`).join('\n')}

DATA é um dia (2026-11-01, em UTC; em --ate, o dia todo) ou um instante ISO 8601 (2026-11-01T08:00-04:00).
--json escreve o resultado como JSON na saída padrão, para scripts. Os comandos gravam no MongoDB de
MONGODB_URI (e precisam de CODE_PEPPER), lidos do ambiente ou do arquivo .env.
`;

export const usage = usageOf(Object.values(commandUsage));

/** The help of one command. */
export const commandHelp = (name: CommandName) => usageOf([commandUsage[name]]);

export const adminTexts = {
  // Arguments
  unknownCommand: (words: string) => `Comando desconhecido: ${words || '(nenhum)'}.`,
  unknownOption: (option: string) => `Opção desconhecida: ${option}.`,
  missingValue: (option: string) => `A opção ${option} precisa de um valor.`,
  unexpectedArgument: (arg: string) => `Argumento inesperado: ${arg}.`,
  badArguments: 'Argumentos inválidos.',
  noJsonFor: (command: string) => `--json não se aplica a "${command}": a sua saída padrão já são os dados (CSV).`,
  missingOption: (name: string) => `Informe --${name}.`,
  emptyOption: (name: string) => `--${name} não pode ser vazio.`,
  tooLong: (name: string, max: number) => `--${name} pode ter no máximo ${max} caracteres.`,
  invalidSigla: 'A sigla deve ter de 2 a 20 letras ou dígitos, sem espaços (ex.: CAER).',
  invalidSender: 'O remetente deve ser um endereço de email válido (ex.: nao-responda@caer.com.br).',
  missingFile: 'Informe o arquivo CSV.',
  oneFileOnly: 'Informe um só arquivo CSV.',

  // Environment
  needsMongo:
    'Este comando precisa de MONGODB_URI (e de CODE_PEPPER): sem um MongoDB, os dados ficariam só na memória ' +
    'e sumiriam ao fim do comando.',
  cannotConnect: (detail: string) => `Não foi possível conectar ao MongoDB: ${detail}`,
  unexpected: (detail: string) => `Erro inesperado: ${detail}`,
  errorLine: (message: string) => `Erro: ${message}`,

  // Companies
  companyExists: (sigla: string) => `A empresa ${sigla} já existe. Para trocar a chave, use "empresa nova-chave".`,
  companyNotFound: (sigla: string) => `Empresa ${sigla} não encontrada.`,
  companyCreated: (sigla: string) => `Empresa ${sigla} criada.`,
  keyRotated: (sigla: string) =>
    `Nova chave da empresa ${sigla} gerada. A chave anterior deixou de valer. Os serviços em execução a recusam em até ${COMPANY_CACHE_MS / 1000} s (nenhuma confirmação é aceita com ela).`,
  keyRotatedKeeping: (sigla: string, until: Date) =>
    `Nova chave da empresa ${sigla} gerada. A chave anterior continua valendo até ${utc(until)} UTC.`,
  invalidKeep: 'Valor inválido para --manter-anterior: use horas ou minutos, por exemplo 24h ou 30min (no máximo 168h).',
  keyWarning: 'Guarde esta chave agora: ela não será mostrada de novo (só o seu hash fica gravado).',
  noCompanies: 'Nenhuma empresa cadastrada.',
  companyBlock: (
    c: Company,
    now: Date,
    backlog: Backlog | undefined,
  ) =>
    [
      `${c.sigla} - ${printable(c.nome)}`,
      `  assistente: ${printable(c.assistente)}`,
      `  site:       ${printable(c.site)}`,
      `  remetente:  ${printable(c.remetente)}`,
      `  criada em:  ${utc(c.createdAt)} UTC`,
      ...(c.previousKeyUntil && c.previousKeyUntil > now ? [`  chave anterior vale até: ${utc(c.previousKeyUntil)} UTC`] : []),
      `  notificação: ${c.notification ? printable(c.notification.url) : 'não configurada'}`,
      ...(c.notification?.previousSecretUntil && c.notification.previousSecretUntil > now
        ? [`  segredo anterior assina até: ${utc(c.notification.previousSecretUntil)} UTC`]
        : []),
      ...(backlog
        ? [
            `  a entregar:  ${counted(backlog.pending, 'pendente', 'pendentes')}, ${fmt(backlog.failed)} com falha` +
              (backlog.oldestPendingSince ? ` (a mais antiga na fila desde ${utc(backlog.oldestPendingSince)} UTC)` : ''),
          ]
        : []),
    ].join('\n'),

  // Notifications
  notificationConfigured: (sigla: string, url: string) => `Notificações da empresa ${sigla} configuradas: cada validação será enviada para ${url}.`,
  secretWarning: (previousUntil: Date | undefined, keepAsked: boolean) =>
    'Guarde este segredo agora, no sistema que recebe as notificações: ele não será mostrado de novo. ' +
    (previousUntil
      ? `O segredo anterior continua assinando cada notificação até ${utc(previousUntil)} UTC.`
      : keepAsked
        ? 'Não havia segredo anterior a manter: --manter-anterior não teve efeito.'
        : 'O segredo anterior, se havia, deixou de valer.'),
  secretUnreadable: (sigla: string, withFallback: boolean) =>
    withFallback
      ? `Empresa ${sigla}: segredo ilegível sob CODE_PEPPER e CODE_PEPPER_FALLBACK; configure a notificação de novo.`
      : `Empresa ${sigla}: segredo ilegível sob CODE_PEPPER, e CODE_PEPPER_FALLBACK não está definida: defina-a com o valor anterior de CODE_PEPPER e rode de novo.`,
  secretChangedMeanwhile: (sigla: string) => `Empresa ${sigla}: a notificação mudou durante o comando; rode-o de novo.`,
  secretsReencrypted: (count: number, current: number) =>
    (count === 0 ? 'Nenhum segredo de assinatura precisou ser cifrado de novo' : `Segredos de assinatura de ${counted(count, 'empresa', 'empresas')} cifrados de novo sob o CODE_PEPPER`) +
    (current > 0 ? `; os de ${counted(current, 'empresa', 'empresas')} já estavam sob ele.` : '.'),
  secretsNotReencrypted: (count: number) => `${counted(count, 'empresa ficou', 'empresas ficaram')} sem recifrar (acima).`,
  invalidUrl: (problem: string) => `URL inválida: ${problem}.`,
  notificationRemoved: (sigla: string) => `A empresa ${sigla} não será mais notificada.`,
  noNotification: (sigla: string) =>
    `A empresa ${sigla} não tem notificação configurada: use "empresa configurar-notificacao" antes.`,
  requeued: (sigla: string, count: number) =>
    count === 0
      ? `Nenhuma validação da empresa ${sigla} no período estava com falha ou sem envio.`
      : `${counted(count, 'validação', 'validações')} da empresa ${sigla} de novo na fila de notificação.`,
  invalidDate: (option: string) =>
    `Data inválida em --${option}: use um dia (2026-11-01) ou um instante ISO 8601 (2026-11-01T08:00-04:00).`,
  emptyPeriod: '--ate deve ser depois de --desde.',
  futureStart: '--desde está no futuro: ainda não há validações nesse período.',
  exporting: (rows: number) => `Exportando: ${counted(rows, 'linha', 'linhas')}`,
  exported: (sigla: string, rows: number, since: Date, until: Date) =>
    `${counted(rows, 'validação exportada', 'validações exportadas')} da empresa ${sigla}, de ${utc(since)} a ${utc(until)} UTC (exclusive).`,

  // LGPD
  deliveryState: { none: 'sem destino', pending: 'pendente', delivered: 'entregue', failed: 'com falha' } satisfies Record<DeliveryState, string>,
  origin: { webhook: 'pelo webhook', conversa: 'pela conversa' } satisfies Record<ValidationOrigin, string>,
  invalidClientDocument: 'Informe um CPF ou CNPJ válido em --cpf.',
  clientNotFound: (sigla: string, document: string) => `Cliente ${document} não encontrado na empresa ${sigla}.`,
  forgotten: (sigla: string, document: string, removed: { email: boolean; validations: number; pending: number; codes: number }) =>
    [
      `Dados do cliente ${document} da empresa ${sigla} apagados:`,
      `  email:                    ${removed.email ? 'apagado' : 'não havia'}`,
      `  validações:               ${fmt(removed.validations)}`,
      `  notificações pendentes:   ${fmt(removed.pending)}`,
      `  códigos:                  ${fmt(removed.codes)}`,
      'O nome e o CPF/CNPJ continuam, como vieram do GSAN; uma nova importação que traga um email volta a gravá-lo.',
    ].join('\n'),

  // Client import: the file
  fileNotFound: (file: string) => `Arquivo não encontrado: ${file}`,
  notAFile: (file: string) => `Não é um arquivo: ${file}`,
  emptyFile: (file: string) => `O arquivo está vazio: ${file}`,
  badHeader: (missing: string[]) =>
    `Cabeçalho inválido: a primeira linha deve ter as colunas cpfCnpj, nome e email (faltando: ${missing.join(', ')}).`,
  cannotRead: (file: string, detail: string) => `Não foi possível ler o arquivo ${file}: ${detail}`,
  badCsv: (line: number | undefined, detail: string) => `Arquivo CSV inválido${line ? ` na linha ${line}` : ''}: ${detail}.`,
  nothingWritten: 'Nada foi gravado.',
  importInterrupted: (detail: string, inserted: number, updated: number) =>
    `Importação interrompida: ${detail.replace(/\.$/, '')}. Já gravados: ${fmt(inserted)} inseridos, ${fmt(updated)} atualizados. ` +
    'Corrija o problema e importe de novo o mesmo arquivo (quem já foi gravado é apenas atualizado).',
  csvDetail: (code: string) =>
    ({
      CSV_QUOTE_NOT_CLOSED: 'aspas abertas e não fechadas',
      CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'caractere depois de aspas de fechamento',
      CSV_INVALID_CLOSING_QUOTE: 'aspas de fechamento fora do lugar',
      CSV_MAX_RECORD_SIZE: 'registro longo demais (aspas não fechadas?)',
    })[code] ?? 'formato não reconhecido',
  recordTooLong: (bytes: number) => `registro com mais de ${fmt(bytes / 1024)} KiB (aspas não fechadas?)`,
  tooManyColumns: (max: number) => `registro com mais de ${fmt(max)} colunas`,
  mixedEncoding: (line: number) =>
    `O arquivo não está todo em UTF-8 nem todo em Latin-1: a linha ${line} não é UTF-8, mas há linhas em UTF-8. ` +
    'Salve o arquivo de novo numa só codificação (de preferência UTF-8).',

  // Client import: rejected rows
  emptyDocument: 'CPF/CNPJ vazio',
  invalidDocument: 'CPF/CNPJ inválido',
  invalidEmail: 'email inválido',
  controlInName: 'nome com caractere de controle (ESC, quebra de linha, tabulação…)',
  repeatedDocument: (firstLine: number) => `CPF/CNPJ repetido (já aparece na linha ${firstLine})`,
  wrongColumnCount: (found: number, expected: number) =>
    `a linha tem ${found} colunas; o cabeçalho tem ${expected}`,

  // Client import: report
  checking: (rows: number) => `Verificando: ${fmt(rows)} linhas`,
  importing: (rows: number) => `Importando: ${fmt(rows)} linhas`,
  importDone: (sigla: string, file: string, encoding: string, delimiter: string) =>
    `Clientes da empresa ${sigla} importados de ${file} (${encoding}, separador "${delimiter}").`,
  importCounts: (rows: number, inserted: number, updated: number, rejected: number) =>
    [
      `Linhas de dados: ${fmt(rows)}`,
      `Inseridos:       ${fmt(inserted)}`,
      `Atualizados:     ${fmt(updated)}`,
      `Rejeitados:      ${fmt(rejected)}`,
    ].join('\n'),
  rejectedRow: (line: number, reason: string) => `  linha ${line}: ${reason}`,

  // Indexes
  indexAction: { create: 'criando', setTtl: 'mudando o TTL', rebuild: 'refazendo (outras opções)' } satisfies Record<IndexChange['action']['kind'], string>,
  indexApplying: (index: string, action: string) => `${index}: ${action}…`,
  indexFailed: (index: string, detail: string) =>
    `O MongoDB recusou ${index ? `o índice ${index}` : 'a leitura dos índices'}: ${detail}. Corrija o que ele aponta e rode de novo ` +
    '(o que já foi aplicado fica).',
  indexesApplied: (count: number) =>
    count === 0 ? 'Os índices já estavam como esta versão espera: nada foi alterado.' : `${counted(count, 'índice aplicado', 'índices aplicados')}.`,
} as const;
