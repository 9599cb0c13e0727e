import { randomUUID } from 'node:crypto';
import { domainOf } from '../domain/email';
import { mailTexts } from '../domain/texts';
import type { Company } from '../store/types';

/** The validation email of docs/api.md §4: pt-BR, plain text and HTML, never the CPF/CNPJ. */
export interface OutgoingMail {
  from: { name: string; address: string };
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  /** At the sender's domain, whatever the envelope sender (`SMTP_BOUNCE_ADDRESS`) is. */
  messageId: string;
}

/** RFC 3834: an automatic message, which out-of-office robots do not answer. */
const AUTO_SUBMITTED = { 'Auto-Submitted': 'auto-generated' };

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function validationMail(company: Company, to: string, code: string, ttlMinutes: number): OutgoingMail {
  const lines = mailTexts.lines(code, company.nome, ttlMinutes);
  const html =
    '<!doctype html><html lang="pt-BR"><body style="font-family:Arial,sans-serif;color:#222">' +
    lines
      .map((line) =>
        line.includes(code)
          ? `<p>${escapeHtml(line.replace(code, ''))}<strong style="font-size:1.5em;letter-spacing:.2em">${code}</strong></p>`
          : line === '' ? '' : `<p>${escapeHtml(line)}</p>`,
      )
      .join('') +
    '</body></html>';
  return {
    from: { name: company.nome, address: company.remetente },
    to,
    subject: mailTexts.subject(company.sigla),
    text: lines.join('\n') + '\n',
    html,
    headers: AUTO_SUBMITTED,
    messageId: `<${randomUUID()}@${domainOf(company.remetente)}>`,
  };
}
