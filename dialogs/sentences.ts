import { CODE_LENGTH } from '../services/code';
import { normalizeDocument, parseDocument } from '../services/document';
import { emailKey, parseEmail } from '../services/email';
import { botTexts } from '../services/texts';

/**
 * How the conversation reads what people write (docs/api.md §5): sentences, not fields. Each step
 * takes its value from a message holding exactly one candidate for it, whatever words surround it;
 * two different candidates are not guessed between; a candidate that fails its check is `invalid`;
 * a message with none is `none`. Pure functions: no botbuilder here.
 */

export type Reading<T> =
  | { kind: 'value'; value: T }
  | { kind: 'invalid' }
  | { kind: 'ambiguous' }
  | { kind: 'none' };

/** The fewest characters a run of digits needs to be taken for a CPF/CNPJ or a code typed short. */
const MIN_CANDIDATE_LENGTH = 5;
/** Digit groups this short, separated by single spaces, are one number typed in groups (`123 456`). */
const MAX_GROUP_LENGTH = 4;

/** Lower case, accents removed, `e-mail` as `email`, anything but letters and digits as one space. */
export function plainWords(text: string): string {
  const folded = text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/e-mail/g, 'email');
  return folded.replace(/[^a-z0-9]+/g, ' ').trim();
}

/** Whether `text` holds one of the `phrases` (already in `plainWords` form) as whole words. */
export function holdsPhrase(text: string, phrases: readonly string[]): boolean {
  const words = ` ${plainWords(text)} `;
  return phrases.some((phrase) => words.includes(` ${phrase} `));
}

/** Whether the whole message is one of the `phrases`: `Cancelar!` is `cancelar`, `quero cancelar` is not. */
export function isPhrase(text: string, phrases: readonly string[]): boolean {
  return phrases.includes(plainWords(text));
}

/** Characters that frame an address in a sentence (`<x@y.com>`, `"x@y.com",`) rather than belong to it. */
const FRAMING = /^[<(["'“‘]+|[>)\]"'”’.,;:!?]+$/g;

/** The words of a message that hold an `@`, without the punctuation framing them. */
function emailTokens(text: string): string[] {
  return text
    .split(/\s+/)
    .map((word) => word.replace(FRAMING, ''))
    .filter((word) => word.includes('@'));
}

/** Reads one value out of distinct candidates (`key` tells two apart), checked by `parse`. */
function readOne<T>(candidates: readonly string[], key: (candidate: string) => string, parse: (c: string) => T | null): Reading<T> {
  // The first of the ones that are the same (an address typed twice, once capitalised).
  const distinct = new Map<string, string>();
  for (const c of candidates) if (!distinct.has(key(c))) distinct.set(key(c), c);
  if (distinct.size === 0) return { kind: 'none' };
  if (distinct.size > 1) return { kind: 'ambiguous' };
  const value = parse([...distinct.values()][0]);
  return value === null ? { kind: 'invalid' } : { kind: 'value', value };
}

/** The email address in a message. */
export function readEmail(text: string): Reading<string> {
  return readOne(emailTokens(text), emailKey, parseEmail);
}

/**
 * The numbers of a message, emails left out: runs of letters and digits joined by `. / -` that hold
 * a digit and are all digits or shaped like a CNPJ (`12.ABC.345/01DE-35`). Short digit groups with
 * only spaces between them are one number typed in groups (`027 890 782 20`, `123 456`).
 */
function numberTokens(text: string): string[] {
  const rest = emailTokens(text).reduce((t, email) => t.split(email).join(' '), text);
  const numbers: string[] = [];
  let grouped = '';
  let groupEnd = -1;
  for (const match of rest.matchAll(/[0-9A-Za-z]+(?:[./-][0-9A-Za-z]+)*/g)) {
    const word = match[0];
    const plain = normalizeDocument(word);
    const isGroup = /^[0-9]+$/.test(word) && word.length <= MAX_GROUP_LENGTH;
    const joinsGroup = isGroup && grouped !== '' && /^[ \t]+$/.test(rest.slice(groupEnd, match.index));
    if (!joinsGroup && grouped !== '') {
      numbers.push(grouped);
      grouped = '';
    }
    if (isGroup) {
      grouped += word;
      groupEnd = match.index + word.length;
    } else if (/^[0-9]+$/.test(plain) || (/[0-9]/.test(plain) && /^[0-9A-Z]{12}[0-9]{2}$/.test(plain))) {
      numbers.push(plain);
    }
  }
  if (grouped !== '') numbers.push(grouped);
  return numbers.filter((n) => n.length >= MIN_CANDIDATE_LENGTH);
}

/** The CPF/CNPJ in a message (`meu cpf é 027.890.782-20`). */
export function readDocument(text: string): Reading<string> {
  return readOne(numberTokens(text), (n) => n, parseDocument);
}

/** The six-digit code in a message (`o código é 123 456`). */
export function readCode(text: string): Reading<string> {
  const digits = numberTokens(text).filter((n) => /^[0-9]+$/.test(n));
  return readOne(digits, (n) => n, (n) => (n.length === CODE_LENGTH ? n : null));
}

/** The first step's answer: the CPF/CNPJ, and the message itself when it also holds an email. */
export interface DocumentAnswer {
  document: string;
  /** A message that also holds an email candidate: read again at the email step. */
  withEmail?: string;
}

/** The first step reads a CPF/CNPJ, and fills the email too when the message holds both. */
export function readDocumentAnswer(text: string): Reading<DocumentAnswer> {
  const document = readDocument(text);
  if (document.kind !== 'value') return document;
  const withEmail = readEmail(text).kind === 'none' ? undefined : text;
  return { kind: 'value', value: withEmail === undefined ? { document: document.value } : { document: document.value, withEmail } };
}

/** The code step's answer: the code, or the words for a new code or for another email. */
export type CodeAnswer = { code: string } | { resend: true } | { changeEmail: true; email?: string };

/**
 * The code step reads a code first; without one, the words for another email (with the new address
 * when the message holds one), then the words for a new code.
 */
export function readCodeAnswer(text: string): Reading<CodeAnswer> {
  const code = readCode(text);
  if (code.kind === 'value') return { kind: 'value', value: { code: code.value } };
  if (code.kind !== 'none') return code;
  if (holdsPhrase(text, botTexts.words.changeEmail)) {
    const email = readEmail(text);
    return { kind: 'value', value: email.kind === 'value' ? { changeEmail: true, email: email.value } : { changeEmail: true } };
  }
  if (holdsPhrase(text, botTexts.words.resend)) return { kind: 'value', value: { resend: true } };
  return { kind: 'none' };
}

/** The answer to a yes-or-no question: the whole message (`Sim!`, `não`, `s`, `N`). */
export function readYesNo(text: string): Reading<boolean> {
  if (isPhrase(text, botTexts.words.yes)) return { kind: 'value', value: true };
  if (isPhrase(text, botTexts.words.no)) return { kind: 'value', value: false };
  return { kind: 'none' };
}
