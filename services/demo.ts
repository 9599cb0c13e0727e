import { hashKey } from './code';
import type { Stores } from './store/types';

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

/** Creates the demo company and its clients; does nothing when the company already exists. */
export async function seedDemo(stores: Stores, now = new Date()): Promise<void> {
  if (await stores.companies.findBySigla(DEMO_COMPANY.sigla)) return;
  await stores.companies.insert({ ...DEMO_COMPANY, keyHash: hashKey(DEMO_KEY), createdAt: now });
  await stores.clients.upsertMany(DEMO_CLIENTS.map((c) => ({ ...c, companyId: DEMO_COMPANY.sigla })));
}
