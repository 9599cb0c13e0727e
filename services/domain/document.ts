import { cpf, cnpj } from 'cpf-cnpj-validator';

/**
 * CPF/CNPJ rules (docs/api.md §1 "Inputs"). Shape is checked here; check digits are the
 * job of `cpf-cnpj-validator`, which knows the alphanumeric CNPJ in force since July 2026.
 */

const IGNORED = /[\s./-]/g;
const CPF_SHAPE = /^[0-9]{11}$/;
/** A CNPJ once normalized: 12 of `[0-9A-Z]`, then 2 check digits (the alphanumeric CNPJ). */
export const CNPJ_SHAPE = /^[0-9A-Z]{12}[0-9]{2}$/;

/** Drops spaces and `. / -`, upper-cases letters. Anything else is kept, so it fails the shape check. */
export function normalizeDocument(raw: string): string {
  return raw.replace(IGNORED, '').toUpperCase();
}

/** The normalized document when it is a valid CPF or CNPJ, otherwise `null`. */
export function parseDocument(raw: string): string | null {
  const doc = normalizeDocument(raw);
  if (CPF_SHAPE.test(doc)) return cpf.isValid(doc) ? doc : null;
  if (CNPJ_SHAPE.test(doc)) return cnpj.isValid(doc) ? doc : null;
  return null;
}
