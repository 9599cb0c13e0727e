import { isIP } from 'node:net';

/**
 * Where a company's notifications may go: https, or plain http to this machine only (for
 * development and tests). Checked when the destination is configured and again before each POST.
 */

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** Why `url` cannot be a destination (pt-BR, for the operator), or `null` when it can. */
export function destinationProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'não é uma URL válida (ex.: https://gsan.exemplo.com.br/validacoes)';
  }
  if (parsed.username || parsed.password) return 'não pode levar usuário ou senha (a assinatura autentica cada envio)';
  if (parsed.hash) return 'não pode ter fragmento (#)';
  if (parsed.protocol === 'https:') return null;
  if (parsed.protocol === 'http:' && isLoopback(parsed.hostname)) return null;
  return 'deve usar https (http só para localhost, em desenvolvimento)';
}
