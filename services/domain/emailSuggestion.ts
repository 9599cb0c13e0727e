import { run as closestDomain } from '@zootools/email-spell-checker';
import { parse as parseDomain } from 'tldts';

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
 * domains close to them (`ymail.com`, `mail.com`, `cloud.com`…), a provider's name at an ending
 * neither one edit from one it uses here nor its `.br`/no-`.br` variant (`hotmail.com.pt`,
 * `yahoo.com.au`) or at a real ending abroad (`yahoo.com.ar`), a name more than one edit from a
 * provider's (`hotmart.com`, `bolsa.com.br`), any other domain at a real ending (a top-level domain
 * or public suffix: `empresa.ch`, `mail.ru`, `protonmail.ch`), and names of fewer than 4 letters
 * (`oi.com.br`, `bb.com.br`, `r7.com`) are left alone. The only real endings still asked about are
 * a Brazilian one with a key beside `b` or `r` struck (`caer.com.bt`: Bhutan's `.com.bt`).
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
  'cloud.com',
  'globe.com',
]);

/**
 * A provider's real domains abroad one edit from an ending it uses here (`hotmail.com.ar`,
 * `yahoo.com.tr` beside `.com.br`): left alone. Farther ones (`hotmail.com.pt`) are left alone anyway.
 */
const FOREIGN_ENDINGS = ['com.ar', 'com.tr'];

/** The endings a misspelt one is corrected to: the ones the issue names, then the common generic ones. */
const TARGET_ENDINGS = ['com.br', 'gov.br', 'org.br', 'edu.br', 'net.br', 'br', 'com', 'net', 'org'];

/**
 * The keys beside `b` and `r` (the same on the Brazilian ABNT2 keyboard as on QWERTY): `.com.bt`,
 * Bhutan's, is one slip of the finger from `.com.br`.
 */
const KEYS_BESIDE: Record<string, string> = { b: 'vghn', r: 'edft' };

/** `com.bt`: a Brazilian ending of two labels with one letter of `br` struck as a key beside it. */
function isSlipOfBrazilian(ending: string): boolean {
  const [category, country, ...rest] = ending.split('.');
  if (rest.length > 0 || !TARGET_ENDINGS.includes(`${category}.br`) || country?.length !== 2) return false;
  return (country[0] === 'b' && KEYS_BESIDE.r.includes(country[1])) || (country[1] === 'r' && KEYS_BESIDE.b.includes(country[0]));
}

/**
 * A real ending, never changed: a top-level domain or public suffix (the Public Suffix List's ICANN
 * part, through `tldts`: `.ch`, `.eu`, `.co`, `.com.au`, `.rr.gov.br`), or a name under one of two
 * labels (`caer.com.br` in `mail.caer.com.br`); except a slip of a Brazilian ending (`.com.bt`).
 */
function isRealEnding(ending: string): boolean {
  if (isSlipOfBrazilian(ending)) return false;
  const { publicSuffix, isIcann } = parseDomain(ending, { allowPrivateDomains: false });
  if (!isIcann || !publicSuffix) return false;
  return publicSuffix === ending || (publicSuffix.includes('.') && ending.endsWith(`.${publicSuffix}`));
}

/** A name shorter than this is too close to other short names to be told from a misspelling. */
const MIN_NAME_LENGTH = 4;

/** The name of `domain`: its first label (`hotmail` of `hotmail.com.br`). */
const nameOf = (domain: string): string => domain.split('.')[0];

/** Each provider's name (`hotmail`), and its domains. */
const PROVIDERS = new Map<string, string[]>();
for (const domain of COMMON_DOMAINS) {
  const name = nameOf(domain);
  PROVIDERS.set(name, [...(PROVIDERS.get(name) ?? []), domain]);
}

/**
 * The edits (a letter added, dropped or changed, or two side by side swapped) between `a` and `b`:
 * the optimal string alignment form of the Damerau–Levenshtein distance.
 */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * A provider's own name at an ending it does not use here: its domain the person meant when the
 * ending is that one with `.br` added or dropped (`gmail.com.br`, `uol.com`) or one edit from it
 * (`gmail.con`, `yahoo.com.bt`); otherwise a real domain abroad (`hotmail.com.pt`, `yahoo.com.au`).
 */
function providerMeant(name: string, ending: string, domains: readonly string[]): string | undefined {
  if (FOREIGN_ENDINGS.includes(ending)) return undefined;
  const candidates = domains.map((domain) => {
    const own = domain.slice(name.length + 1);
    const brVariant = own === `${ending}.br` || ending === `${own}.br`;
    return { domain, edits: brVariant ? 1 : editDistance(ending, own) };
  });
  const best = candidates.sort((a, b) => a.edits - b.edits)[0];
  return best && best.edits <= 1 ? best.domain : undefined;
}

/** The nearest of `domains` to `domain`, within the library's distance. */
function nearest(domain: string, domains: readonly string[]): string | undefined {
  return closestDomain({
    email: `x@${domain}`,
    domains: [...domains],
    topLevelDomains: TARGET_ENDINGS,
    secondLevelDomains: [],
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
  const name = nameOf(domain);
  const ending = domain.slice(name.length + 1);

  const provider = PROVIDERS.get(name);
  if (provider) {
    const meant = providerMeant(name, ending, provider);
    return meant ? `${local}@${meant}` : undefined;
  }

  const suggestion = nearest(domain, COMMON_DOMAINS);
  if (!suggestion || suggestion === domain) return undefined;
  if (COMMON.has(suggestion)) {
    // A name changed into a provider's: only a name of 4 letters or more one edit away
    // (`gmial`, `hotmal`), not a real name near one (`hotmart`, `bolsa`, `oi`).
    if (name.length < MIN_NAME_LENGTH || editDistance(name, nameOf(suggestion)) > 1) return undefined;
    return `${local}@${suggestion}`;
  }
  // Only the ending was corrected: never a real one (`empresa.co`, `empresa.ch`, `mail.ru`).
  return isRealEnding(ending) ? undefined : `${local}@${suggestion}`;
}
