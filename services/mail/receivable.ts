import { promises as dns } from 'node:dns';

/**
 * Whether an address's domain can receive mail (docs/api.md §7, RFC 5321 §5.1): an MX record, or an
 * A/AAAA record when it has none; a null MX (`0 .`, RFC 7505) or a domain that does not exist
 * cannot. Asked of Node's resolver (the servers of `DNS_SERVERS`, or the system's), bounded, and
 * cached in this process; a lookup that fails or times out says `failed`, and the mail is tried.
 * A DNS that does not know Brazil's top-level domain either cannot see public names (an internal
 * network's resolver): its "no such domain" is no answer, and the mail is tried too.
 */

export type DomainAnswer = 'found' | 'no_domain' | 'null_mx' | 'failed';

export interface ReceivableDomains {
  check(domain: string): Promise<DomainAnswer>;
}

/**
 * A name every DNS that sees public names knows, and one that knows only a utility's internal names
 * (its own domain among them, often) does not: Brazil's top-level domain. Asked only when a domain
 * was not found, and cached like a domain.
 */
export const PUBLIC_NAME = 'br';

/** The error code of a `failed` answer from a DNS that does not know `PUBLIC_NAME` either. */
export const BLIND_DNS = 'EPUBLICNAMEUNKNOWN';

export interface DomainCheckOptions {
  /** `ip` or `ip:port` entries; none for the system's resolvers. */
  servers?: string[];
  /** Bound of one lookup (MX, then A and AAAA). */
  timeoutMs?: number;
  /** How long an answer is kept: found, and not found (no domain, null MX). Failures are not kept. */
  foundTtlMs?: number;
  missingTtlMs?: number;
  /** Domains kept at most; the oldest entry goes first. */
  maxEntries?: number;
  /** Every check's answer, whether it came from the cache, and the error code of a failure (`BLIND_DNS` among them). */
  onAnswer?(answer: DomainAnswer, cached: boolean, errorCode?: string): void;
}

const DOMAIN_CHECK_TIMEOUT_MS = 1500;
const HOUR = 60 * 60 * 1000;

/** A mail not tried because its domain cannot receive it: what the request's log line says. */
export class UndeliverableDomainError extends Error {
  constructor(readonly answer: 'no_domain' | 'null_mx') {
    super(`the address's domain cannot receive mail (${answer})`);
    this.name = 'UndeliverableDomainError';
  }
}


interface Entry {
  answer: DomainAnswer;
  expiresAt: number;
}

interface Answer {
  answer: DomainAnswer;
  cached: boolean;
  errorCode?: string;
}

export function createDomainCheck(opts: DomainCheckOptions = {}): ReceivableDomains {
  const timeoutMs = opts.timeoutMs ?? DOMAIN_CHECK_TIMEOUT_MS;
  const foundTtlMs = opts.foundTtlMs ?? HOUR;
  const missingTtlMs = opts.missingTtlMs ?? 5 * 60 * 1000;
  const maxEntries = opts.maxEntries ?? 10_000;
  const cache = new Map<string, Entry>();
  /** Lookups under way: concurrent sends to one domain share one. */
  const inFlight = new Map<string, Promise<Answer>>();

  const remember = (domain: string, answer: DomainAnswer) => {
    if (answer === 'failed') return;
    cache.delete(domain);
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
    cache.set(domain, { answer, expiresAt: Date.now() + (answer === 'found' ? foundTtlMs : missingTtlMs) });
  };

  type Question = (resolver: dns.Resolver) => Promise<Exclude<DomainAnswer, 'failed'>>;

  const lookup = async (domain: string, question: Question): Promise<Answer> => {
    // A resolver of its own, so cancelling a late lookup cancels nothing else.
    const resolver = new dns.Resolver({ timeout: timeoutMs, tries: 1 });
    if (opts.servers?.length) resolver.setServers(opts.servers);
    const timer = setTimeout(() => resolver.cancel(), timeoutMs);
    try {
      const answer = await question(resolver);
      remember(domain, answer);
      return { answer, cached: false };
    } catch (err) {
      const code = codeOf(err);
      // Cancelled is the bound's own doing: a timeout, as the resolver would have said it.
      const errorCode = code === 'ECANCELLED' ? 'ETIMEOUT' : typeof code === 'string' ? code : 'EUNKNOWN';
      return { answer: 'failed', cached: false, errorCode };
    } finally {
      clearTimeout(timer);
    }
  };

  const answerFor = (domain: string, question: Question): Promise<Answer> => {
    const entry = cache.get(domain);
    if (entry && entry.expiresAt > Date.now()) return Promise.resolve({ answer: entry.answer, cached: true });
    let pending = inFlight.get(domain);
    if (!pending) {
      pending = lookup(domain, question).finally(() => inFlight.delete(domain));
      inFlight.set(domain, pending);
    }
    return pending;
  };

  return {
    async check(rawDomain) {
      const domain = rawDomain.toLowerCase();
      let result = await answerFor(domain, (resolver) => ask(resolver, domain));
      if (result.answer === 'no_domain') {
        // Only a DNS that knows the public name vouches for its "no such domain".
        const publicName = await answerFor(PUBLIC_NAME, (resolver) => knowsName(resolver, PUBLIC_NAME));
        if (publicName.answer !== 'found') result = { answer: 'failed', cached: result.cached && publicName.cached, errorCode: BLIND_DNS };
      }
      opts.onAnswer?.(result.answer, result.cached, result.errorCode);
      return result.answer;
    },
  };
}

/** Errors that are an answer about the domain, not a failure to get one. */
const NO_SUCH_DOMAIN = 'ENOTFOUND';
const NO_RECORDS = 'ENODATA';
const codeOf = (err: unknown) => (err as { code?: unknown }).code;

/** Whether `name` exists (any record, or none of the kind asked: `ENODATA`). Throws when the DNS could not answer. */
async function knowsName(resolver: dns.Resolver, name: string): Promise<'found' | 'no_domain'> {
  try {
    await resolver.resolveSoa(name);
    return 'found';
  } catch (err) {
    if (codeOf(err) === NO_RECORDS) return 'found';
    if (codeOf(err) === NO_SUCH_DOMAIN) return 'no_domain';
    throw err;
  }
}

/** MX first; without MX, A and AAAA (RFC 5321 §5.1). Throws when the DNS could not answer. */
async function ask(resolver: dns.Resolver, domain: string): Promise<Exclude<DomainAnswer, 'failed'>> {
  try {
    const mx = await resolver.resolveMx(domain);
    if (mx.some((record) => record.exchange !== '' && record.exchange !== '.')) return 'found';
    if (mx.length > 0) return 'null_mx';
  } catch (err) {
    if (codeOf(err) === NO_SUCH_DOMAIN) return 'no_domain';
    if (codeOf(err) !== NO_RECORDS) throw err;
  }
  const addresses = await Promise.allSettled([resolver.resolve4(domain), resolver.resolve6(domain)]);
  if (addresses.some((a) => a.status === 'fulfilled' && a.value.length > 0)) return 'found';
  const failure = addresses.find((a) => a.status === 'rejected' && codeOf(a.reason) !== NO_SUCH_DOMAIN && codeOf(a.reason) !== NO_RECORDS);
  if (failure?.status === 'rejected') throw failure.reason;
  return 'no_domain';
}
