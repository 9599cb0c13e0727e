import { hashKey } from '../domain/code';
import { DuplicateError, type Stores } from '../store/types';

/**
 * The demo data of the embedded default: CAER with the seed page's key, and three clients
 * that show the main answers. Named in the README.
 */
export const DEMO_KEY = 'jjFsdi45iHDYHdt78dJT-EH';

export const DEMO_COMPANY = {
  sigla: 'CAER',
  nome: 'Companhia de Águas e Esgotos de Roraima',
  assistente: 'ED - Assistente virtual da CAER',
  site: 'www.caer.com.br',
  remetente: 'nao-responda@caer.com.br',
} as const;

export const DEMO_CLIENTS = [
  // The seed's example request: no email yet, so a code goes to the one sent.
  { document: '02789078220', nome: 'Maria da Silva (demonstração)', email: null },
  // A registered email: any other address gets the "semelhante" answer, masked `aaa*****bbb@email.com`.
  { document: '29378722040', nome: 'João Pereira (demonstração)', email: 'aaaxxxxbbb@email.com' },
  // An alphanumeric CNPJ (12.ABC.345/01DE-35), no email yet.
  { document: '12ABC34501DE35', nome: 'Padaria Exemplo Ltda (demonstração)', email: null },
] as const;

/**
 * Creates whichever demo record is missing, each on its own: the company, then each client. What
 * exists is left as it is (a key rotated, a client validated), and a seed cut short by a failure
 * is completed by the next start. Instances starting together may both seed: the loser of a race
 * for the company finds it there.
 */
export async function seedDemo(stores: Stores, now = new Date()): Promise<void> {
  if (!(await stores.companies.findBySigla(DEMO_COMPANY.sigla))) {
    try {
      await stores.companies.insert({ ...DEMO_COMPANY, keyHash: hashKey(DEMO_KEY), createdAt: now });
    } catch (err) {
      if (!(err instanceof DuplicateError)) throw err;
    }
  }
  for (const client of DEMO_CLIENTS) {
    if (await stores.clients.find(DEMO_COMPANY.sigla, client.document)) continue;
    await stores.clients.upsertMany([{ ...client, companyId: DEMO_COMPANY.sigla }]);
  }
}
