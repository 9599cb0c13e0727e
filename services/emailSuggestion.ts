import { run as closestDomain } from '@zootools/email-spell-checker';

/**
 * "Você quis dizer …?" (docs/api.md §7): the address a person probably meant when the domain they
 * typed looks like a misspelling of a provider Brazilians use (`gmial.com`, `hotmial.com`,
 * `gmail.com.br`, `yahoo.com.bt`) or of a domain ending (`caer.com.bt`). Pure: it asks nothing of
 * the DNS; the conversation asks the person, who may keep what they typed.
 *
 * The comparison is `@zootools/email-spell-checker`'s, not `mailcheck`'s. Both run the same
 * algorithm (mailcheck's: sift3 distance to a list of domains and of endings, within 2); the
 * zootools one is a maintained TypeScript port with its own types and no browser globals, while
 * `mailcheck` has had no release since 2015 and attaches itself to `window`/jQuery. Its
 * second-level step (correcting the name before the ending on its own) is left out: on short names
 * it turns real domains into providers (`bb.com.br` → `ig.com.br`).
 *
 * A real domain is never "corrected" into another: the providers' own domains, other real mail
 * domains close to them (`ymail.com`, `mail.com`, `gmx.com`…), a provider at a foreign ending
 * (`hotmail.com.pt`, `yahoo.com.ar`), any domain under a real ending that is not within reach of a
 * provider, and names of fewer than 4 letters (`oi.com.br`, `bb.com.br`, `r7.com`) are left alone.
 */

/** The providers Brazilians use: never corrected, and what a misspelling is corrected to. */
export const COMMON_DOMAINS = [
  'gmail.com',
  'hotmail.com',
  'hotmail.com.br',
  'outlook.com',
  'outlook.com.br',
  'live.com',
  'yahoo.com.br',
  'yahoo.com',
  'bol.com.br',
  'uol.com.br',
  'terra.com.br',
  'ig.com.br',
  'icloud.com',
  'globo.com',
] as const;
const COMMON = new Set<string>(COMMON_DOMAINS);

/** Other real mail domains within reach of a provider's: never corrected. */
const KNOWN_REAL = new Set([
  'ymail.com',
  'rocketmail.com',
  'mail.com',
  'email.com',
  'gmx.com',
  'gmx.net',
  'msn.com',
  'me.com',
  'mac.com',
  'aol.com',
  'proton.me',
  'protonmail.com',
  'zoho.com',
  'yandex.com',
  'globomail.com',
  'ibest.com.br',
  'zipmail.com.br',
  'superig.com.br',
  'pop.com.br',
  'oi.com.br',
  'r7.com',
]);

/** Where a provider's name with another ending is a real domain abroad (`hotmail.com.pt`): left alone. */
const FOREIGN_ENDINGS = ['pt', 'com.pt', 'ar', 'com.ar', 'uy', 'com.uy', 'py', 'com.py', 'cl', 'mx', 'com.mx', 'es', 'fr', 'it', 'de', 'uk', 'co.uk', 'ca', 'us', 'jp', 'co.jp'];

/** The endings a misspelt one is corrected to: the ones the issue names, then the common generic ones. */
const TARGET_ENDINGS = ['com.br', 'gov.br', 'org.br', 'edu.br', 'net.br', 'br', 'com', 'net', 'org'];

/** Real endings, never changed (nor any ending under one of two labels: `rr.gov.br`, `caer.com.br`). */
const REAL_ENDINGS = new Set([
  ...TARGET_ENDINGS,
  ...['jus.br', 'mp.br', 'leg.br', 'mil.br', 'art.br', 'adv.br', 'eng.br', 'ind.br', 'inf.br', 'coop.br', 'tur.br'],
  ...['blog.br', 'app.br', 'dev.br', 'tec.br', 'med.br', 'edu', 'gov', 'info', 'biz', 'io', 'me', 'co', 'app', 'dev'],
  ...FOREIGN_ENDINGS,
]);

function isRealEnding(ending: string): boolean {
  if (REAL_ENDINGS.has(ending)) return true;
  return [...REAL_ENDINGS].some((real) => real.includes('.') && ending.endsWith(`.${real}`));
}

/** A name shorter than this is too close to other short names to be told from a misspelling. */
const MIN_NAME_LENGTH = 4;

/** Each provider's name (`hotmail`), and its domains. */
const PROVIDERS = new Map<string, string[]>();
for (const domain of COMMON_DOMAINS) {
  const name = domain.slice(0, domain.indexOf('.'));
  PROVIDERS.set(name, [...(PROVIDERS.get(name) ?? []), domain]);
}

/** The nearest of `domains` to `domain`, within the library's distance (`Infinity`: whichever is nearest). */
function nearest(domain: string, domains: readonly string[], threshold?: number): string | undefined {
  return closestDomain({
    email: `x@${domain}`,
    domains: [...domains],
    topLevelDomains: TARGET_ENDINGS,
    secondLevelDomains: [],
    ...(threshold ? { domainThreshold: threshold } : {}),
  })?.domain;
}

/**
 * The address the person probably meant (the local part as typed, the domain corrected), or
 * `undefined` when the domain looks right. `email` is an address `parseEmail` accepted.
 */
export function suggestEmail(email: string): string | undefined {
  const at = email.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1).toLowerCase();
  if (COMMON.has(domain) || KNOWN_REAL.has(domain)) return undefined;
  const name = domain.split('.')[0];
  const ending = domain.slice(name.length + 1);

  // A provider's own name at an ending it does not use here: `gmail.com.br`, `yahoo.com.bt`, `uol.com`.
  const provider = PROVIDERS.get(name);
  if (provider) return FOREIGN_ENDINGS.includes(ending) ? undefined : `${local}@${nearest(domain, provider, Infinity)}`;

  const suggestion = nearest(domain, COMMON_DOMAINS);
  if (!suggestion || suggestion === domain) return undefined;
  const toProvider = COMMON.has(suggestion);
  if (toProvider && name.length < MIN_NAME_LENGTH) return undefined;
  // Only the ending was corrected: never a real one (`empresa.co` is not `empresa.com`).
  if (!toProvider && isRealEnding(ending)) return undefined;
  return `${local}@${suggestion}`;
}
