import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { domainOf } from '../domain/email';

/**
 * DKIM signing of the validation mail (docs/api.md §4): one domain, one selector, one RSA key, the
 * operator's. nodemailer signs in the SMTP worker; this module reads and checks the key at start
 * and says which senders it can sign for.
 */

export interface DkimSettings {
  domain: string;
  selector: string;
  /** PEM, checked at start: an RSA private key of at least 1024 bits. */
  privateKey: string;
}

export interface DkimVariables {
  DKIM_DOMAIN?: string;
  DKIM_SELECTOR?: string;
  DKIM_PRIVATE_KEY?: string;
  DKIM_PRIVATE_KEY_FILE?: string;
}

/** A problem with one variable, told in pt-BR (never its value: the key is a secret). */
export interface DkimProblem {
  variable: keyof DkimVariables;
  problem: string;
}

/** nodemailer's DKIM signer speaks `rsa-sha256` only; receivers ignore keys under 1024 bits. */
const MIN_RSA_BITS = 1024;

/** The settings, `undefined` when DKIM is not configured, or the first problem. */
export function readDkim(vars: DkimVariables): DkimSettings | undefined | DkimProblem {
  const { DKIM_DOMAIN: domain, DKIM_SELECTOR: selector, DKIM_PRIVATE_KEY: inline, DKIM_PRIVATE_KEY_FILE: file } = vars;
  if (!domain && !selector && !inline && !file) return undefined;
  if (!domain) return { variable: 'DKIM_DOMAIN', problem: 'é obrigatório com DKIM_SELECTOR e DKIM_PRIVATE_KEY' };
  if (!selector) return { variable: 'DKIM_SELECTOR', problem: 'é obrigatório com DKIM_DOMAIN' };
  if (inline && file) return { variable: 'DKIM_PRIVATE_KEY_FILE', problem: 'use DKIM_PRIVATE_KEY ou DKIM_PRIVATE_KEY_FILE, não os dois' };
  if (!inline && !file) return { variable: 'DKIM_PRIVATE_KEY', problem: 'é obrigatório com DKIM_DOMAIN (ou DKIM_PRIVATE_KEY_FILE)' };
  const variable = inline ? 'DKIM_PRIVATE_KEY' : 'DKIM_PRIVATE_KEY_FILE';
  let pem: string;
  try {
    // A key in one line of a .env, its line breaks written as \n, is accepted too.
    pem = inline ? inline.replace(/\\n/g, '\n') : readFileSync(file!, 'utf8');
  } catch {
    return { variable, problem: 'não foi possível ler o arquivo' };
  }
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'rsa') return { variable, problem: 'deve ser uma chave privada RSA (o DKIM do serviço assina com rsa-sha256)' };
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return { variable, problem: 'a chave RSA deve ter ao menos 1024 bits (use 2048)' };
  } catch {
    return { variable, problem: 'não é uma chave privada PEM válida (gere com: openssl genrsa -out dkim.pem 2048)' };
  }
  return { domain: domain.toLowerCase(), selector, privateKey: pem };
}

/**
 * Whether mail from `sender` is signed: its domain is the DKIM domain or below it, so the signature
 * aligns with the From address as DMARC's relaxed alignment asks.
 */
export function signsFor(dkim: Pick<DkimSettings, 'domain'>, sender: string): boolean {
  const domain = domainOf(sender);
  return domain === dkim.domain || domain.endsWith(`.${dkim.domain}`);
}
