import { CODE_LENGTH } from '../services/domain/code';
import { CNPJ_SHAPE, normalizeDocument, parseDocument } from '../services/domain/document';
import { emailKey, parseEmail } from '../services/domain/email';
import { botTexts } from '../services/domain/texts';

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

/** The lengths a CPF (11) and a CNPJ (14) have once their punctuation is dropped. */
const DOCUMENT_LENGTHS = [11, 14];
/** Numbers this long are a CPF/CNPJ or a code typed short or long: `inválido` rather than no answer. */
const NEAR_MISS = 1;

/** Lower case, accents removed, `e-mail` as `email`, anything but letters and digits as one space. */
export function plainWords(text: string): string {
  const folded = text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/e-mail/g, 'email');
  return folded.replace(/[^a-z0-9]+/g, ' ').trim();
}

/** Whether `text` holds one of the `phrases` (already in `plainWords` form) as whole words. */
function holdsPhrase(text: string, phrases: readonly string[]): boolean {
  const words = ` ${plainWords(text)} `;
  return phrases.some((phrase) => words.includes(` ${phrase} `));
}

/** Whether the whole message is one of the `phrases`: `Cancelar!` is `cancelar`, `quero cancelar` is not. */
export function isPhrase(text: string, phrases: readonly string[]): boolean {
  return phrases.includes(plainWords(text));
}

/** What separates an address from the words around it (a comma, a colon, quotes, brackets, a zero-width space). */
const EMAIL_SEPARATORS = /[\s,;:<>()[\]"“”«»\u200b]+/;
/** Characters that frame an address in a sentence (`'x@y.com'`, `*x@y.com*`, `x@y.com.`) rather than belong to it. */
const FRAMING = /^['‘’*/]+|['‘’*/.!?]+$/g;

/** The words of a message that hold an `@`, without what separates and frames them. */
function emailTokens(text: string): string[] {
  return text
    .split(EMAIL_SEPARATORS)
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

/** A label written onto a number (`cpf-027…`, `CNPJ.12…`, `nº/…`): not part of it. */
const LABEL = /^(?:cpf|cnpj|doc|documento|n|no|nº|nr|num|numero|número)$/i;

/**
 * The numbers of a message, emails left out, as runs: words of letters and digits joined by `. / -`
 * that hold a digit and are all digits or shaped like a CNPJ (`12.ABC.345/01DE-35`), a run being the
 * words with only spaces between them (`027 890 782 20`, `123 456`: one number typed in groups, or
 * several numbers side by side).
 */
function numberRuns(text: string): string[][] {
  const rest = emailTokens(text).reduce((t, email) => t.split(email).join(' '), text);
  const runs: string[][] = [];
  let run: string[] = [];
  let runEnd = -1;
  for (const match of rest.matchAll(/[0-9A-Za-zº]+(?:[./-][0-9A-Za-zº]+)*/g)) {
    const parts = match[0].split(/[./-]/);
    while (parts.length > 1 && LABEL.test(parts[0])) parts.shift();
    const plain = normalizeDocument(parts.join(''));
    const numeric = /^[0-9]+$/.test(plain) || (/[0-9]/.test(plain) && CNPJ_SHAPE.test(plain));
    const joins = run.length > 0 && /^[ \t]+$/.test(rest.slice(runEnd, match.index));
    if (!joins && run.length > 0) {
      runs.push(run);
      run = [];
    }
    if (numeric) {
      run.push(plain);
      runEnd = match.index + match[0].length;
    }
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/**
 * The candidates of a message for a value of one of `lengths`: a run typed in groups that makes one
 * of them whole, else its numbers one by one. Those of the lengths come first; without any, numbers
 * one character short or long of them are candidates too (a value mistyped: `inválido`); any other
 * number (a phone, a date, a protocol) is no candidate.
 */
function candidates(text: string, lengths: readonly number[], shaped: (n: string) => boolean): string[] {
  const numbers = numberRuns(text).flatMap((run) => {
    const whole = run.join('');
    return run.length > 1 && lengths.includes(whole.length) && shaped(whole) ? [whole] : run;
  });
  const right = numbers.filter((n) => lengths.includes(n.length) && shaped(n));
  if (right.length > 0) return right;
  return numbers.filter((n) => lengths.some((l) => Math.abs(n.length - l) <= NEAR_MISS) && /^[0-9]+$/.test(n));
}

/** The CPF/CNPJ in a message (`meu cpf é 027.890.782-20`). */
function readDocument(text: string): Reading<string> {
  const shaped = (n: string) => /^[0-9]+$/.test(n) || CNPJ_SHAPE.test(n);
  return readOne(candidates(text, DOCUMENT_LENGTHS, shaped), (n) => n, parseDocument);
}

/** The six-digit code in a message (`o código é 123 456`). */
function readCode(text: string): Reading<string> {
  const digitsOnly = (n: string) => /^[0-9]+$/.test(n);
  return readOne(candidates(text, [CODE_LENGTH], digitsOnly), (n) => n, (n) => (n.length === CODE_LENGTH ? n : null));
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
 * The code step reads one six-digit code first; without it, the words for another email (with the
 * new address when the message holds one), then the words for a new code (`não recebi, meu telefone
 * é (11) 98765-4321` is a resend, not a wrong code); only then two codes, or a number one digit
 * short or long, count as such.
 */
export function readCodeAnswer(text: string): Reading<CodeAnswer> {
  const code = readCode(text);
  if (code.kind === 'value') return { kind: 'value', value: { code: code.value } };
  if (holdsPhrase(text, botTexts.words.changeEmail)) {
    const email = readEmail(text);
    return { kind: 'value', value: email.kind === 'value' ? { changeEmail: true, email: email.value } : { changeEmail: true } };
  }
  if (holdsPhrase(text, botTexts.words.resend)) return { kind: 'value', value: { resend: true } };
  return code;
}

/** The answer to a yes-or-no question: the whole message (`Sim!`, `não`, `s`, `N`). */
export function readYesNo(text: string): Reading<boolean> {
  if (isPhrase(text, botTexts.words.yes)) return { kind: 'value', value: true };
  if (isPhrase(text, botTexts.words.no)) return { kind: 'value', value: false };
  return { kind: 'none' };
}
