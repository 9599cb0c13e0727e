import { strict as assert } from 'node:assert';
import { COMMON_DOMAINS, suggestEmail } from '../../services/domain/emailSuggestion';
import { botTexts } from '../../services/domain/texts';

/** docs/api.md §7: "Você quis dizer {sugestão}?", the pure part: which address is suggested, if any. */

describe('suggestEmail: the address a person probably meant', () => {
  const corrected: [typed: string, meant: string][] = [
    ['maria@gmial.com', 'maria@gmail.com'],
    ['maria@gmai.com', 'maria@gmail.com'],
    ['maria@gamil.com', 'maria@gmail.com'],
    ['maria@gmail.com.br', 'maria@gmail.com'],
    ['maria@gmail.con', 'maria@gmail.com'],
    ['maria@gmail.co', 'maria@gmail.com'],
    ['maria@hotmial.com', 'maria@hotmail.com'],
    ['maria@hotmal.com.br', 'maria@hotmail.com.br'],
    ['maria@hotmail.co', 'maria@hotmail.com'],
    ['maria@outlok.com', 'maria@outlook.com'],
    ['maria@outlook.com.bt', 'maria@outlook.com.br'],
    ['maria@yahoo.com.bt', 'maria@yahoo.com.br'],
    ['maria@yaho.com.br', 'maria@yahoo.com.br'],
    ['maria@uol.com', 'maria@uol.com.br'],
    ['maria@uool.com.br', 'maria@uol.com.br'],
    ['maria@bol.com', 'maria@bol.com.br'],
    ['maria@ig.com', 'maria@ig.com.br'],
    ['maria@terra.com', 'maria@terra.com.br'],
    ['maria@globo.com.br', 'maria@globo.com'],
    ['maria@iclod.com', 'maria@icloud.com'],
    ['maria@icloud.com.br', 'maria@icloud.com'],
    // The local part as typed; only the domain is corrected.
    ['Maria.Silva+caer@GMIAL.COM', 'Maria.Silva+caer@gmail.com'],
    // A misspelt ending of any domain.
    ['contato@caer.com.bt', 'contato@caer.com.br'],
    ['contato@empresa.comm.br', 'contato@empresa.com.br'],
    ['contato@empresa.con', 'contato@empresa.com'],
    ['ouvidoria@prefeitura.gov.bt', 'ouvidoria@prefeitura.gov.br'],
    ['contato@empresa.cmo', 'contato@empresa.com'],
    // A provider's ending one edit away (a key beside: `.com.bt`, Bhutan's, is real but asked about).
    ['maria@gmail.cmo', 'maria@gmail.com'],
    ['maria@outlook.cm', 'maria@outlook.com'],
    ['maria@hotmail.com.bt', 'maria@hotmail.com.br'],
    ['maria@uol.com.bt', 'maria@uol.com.br'],
  ];
  for (const [typed, meant] of corrected) {
    it(`${typed} → ${meant}`, () => assert.equal(suggestEmail(typed), meant));
  }

  const left: string[] = [
    // Every provider's own domain: a real domain is never corrected into another.
    ...COMMON_DOMAINS.map((domain) => `maria@${domain}`),
    ...COMMON_DOMAINS.map((domain) => `Maria@${domain.toUpperCase()}`),
    // Real mail domains within reach of a provider's.
    'maria@ymail.com', 'maria@mail.com', 'maria@email.com', 'maria@gmx.com', 'maria@msn.com', 'maria@me.com',
    'maria@aol.com', 'maria@globomail.com', 'maria@ibest.com.br', 'maria@zipmail.com.br', 'maria@superig.com.br',
    'maria@cloud.com', 'maria@globe.com',
    // Real mail domains at real endings abroad.
    'maria@mail.ru', 'maria@protonmail.ch',
    // Short names, close to each other and to ig.com.br or uol.com.br.
    'maria@oi.com.br', 'maria@bb.com.br', 'maria@r7.com', 'maria@ufg.br', 'maria@usp.br',
    // A provider's own name at a real ending abroad.
    'maria@hotmail.com.pt', 'maria@yahoo.com.ar', 'maria@outlook.pt', 'maria@hotmail.fr', 'maria@live.co.uk',
    'maria@yahoo.com.au', 'maria@hotmail.com.ar', 'maria@yahoo.com.tr',
    // Real names more than one edit from a provider's.
    'contato@hotmart.com', 'contato@bolsa.com.br',
    // Companies and public bodies, at real endings.
    'contato@caer.com.br', 'contato@sabesp.com.br', 'contato@cagece.com.br', 'contato@compesa.com.br',
    'contato@embasa.ba.gov.br', 'contato@sefaz.rr.gov.br', 'contato@ufrr.br', 'contato@tjrr.jus.br',
    'contato@empresa.com', 'contato@empresa.net', 'contato@empresa.org.br', 'contato@empresa.edu.br', 'contato@empresa.co',
    'contato@mail.caer.com.br',
    // Any country's ending, and every real generic one (the Public Suffix List): none is a misspelling.
    'contato@empresa.ch', 'contato@empresa.eu', 'contato@empresa.tv', 'contato@empresa.ru', 'contato@firma.nl',
    'contato@empresa.be', 'contato@empresa.com.ar', 'contato@empresa.com.au', 'contato@empresa.info',
    'contato@empresa.online', 'contato@empresa.site', 'contato@empresa.store',
  ];
  for (const typed of left) {
    it(`${typed}: nothing to suggest`, () => assert.equal(suggestEmail(typed), undefined));
  }

  it('asks in the words of docs/api.md §7', () => {
    assert.equal(botTexts.didYouMean('maria@gmail.com'), 'Você quis dizer maria@gmail.com?');
  });
});
