import { parseDocument } from './domain/document';
import { domainOf, emailKey, mailboxKey, maskEmail, parseEmail, sameEmail } from './domain/email';
import { codeMatches, generateCode, hashCode, hashKey, keyedHash, parseCode } from './domain/code';
import { outcomes, type Outcome } from './domain/outcome';
import { validationMail } from './mail/message';
import { newValidation } from './domain/validations';
import type { Mailer } from './mail/mailer';
import { UndeliverableDomainError, type ReceivableDomains } from './mail/receivable';
import {
  companyLookupLimit,
  CONVERSATION_DOCUMENT_LIMIT,
  DEFAULT_LOOKUPS_PER_MINUTE,
  MAX_ATTEMPTS_PER_CODE,
  MAX_KEY_LENGTH,
  RECIPIENT_LIMIT,
  SEND_LIMIT,
  USER_LOOKUP_LIMIT,
} from './domain/rules';
import type { CodeKey, Company, CompanyLookup, Stores, ValidationOrigin, WindowLimit } from './store/types';

/**
 * The two use cases of the product (docs/api.md §1–§3): send a validation code, confirm it.
 * The webhooks and the conversation call these same functions, so both doors follow the same steps
 * and answer the same outcomes. The rules they apply live beside them: the values (`document.ts`,
 * `email.ts`, `code.ts`), the numbers (`rules.ts`), and what the stores keep atomically (`store/`).
 */

/** Who is asking: a company key (webhooks) or a company's sigla (the in-process conversation). */
export type CompanyRef = { key: string } | { sigla: string };

/** The door a request came through: the conversation names its company by sigla, a webhook by key. */
export const doorOf = (ref: CompanyRef): ValidationOrigin => ('sigla' in ref ? 'conversa' : 'webhook');

export interface SendCodeInput {
  cpfCnpj: string;
  email: string;
  /**
   * The conversation that asks, when a person in a chat does (its own anti-automation limits);
   * unset for the webhook, whose key serves a whole assistant.
   */
  conversation?: ConversationRef;
}

/** A conversation, and the channel user (`from.id`) in it. */
export interface ConversationRef {
  channelId: string;
  id: string;
  userId: string;
}

export interface ConfirmCodeInput extends SendCodeInput {
  codigo: string;
}

interface AcceptedRequest {
  company: Company;
  document: string;
  email: string;
}

export interface EmailValidationServiceOptions {
  stores: Stores;
  mailer: Mailer;
  /** Server secret of the code HMAC. */
  pepper: string;
  /** `CODE_PEPPER_FALLBACK`, during its rotation: codes hashed under it are still recognized. */
  fallbackPepper?: string;
  codeTtlMinutes: number;
  /** Lookups per company in any rolling 60 s, both doors together (docs/api.md §3); 600 when unset. */
  lookupsPerMinute?: number;
  /** Whether an address's domain can receive mail (docs/api.md §7); unset: not looked up (outbox, or turned off). */
  domains?: ReceivableDomains;
}

export class EmailValidationService {
  private readonly stores: Stores;
  private readonly mailer: Mailer;
  private readonly pepper: string;
  private readonly fallbackPepper: string | undefined;
  readonly codeTtlMinutes: number;
  private readonly companyLookups: WindowLimit;
  private readonly domains: ReceivableDomains | undefined;

  constructor(opts: EmailValidationServiceOptions) {
    this.stores = opts.stores;
    this.domains = opts.domains;
    this.mailer = opts.mailer;
    this.pepper = opts.pepper;
    this.fallbackPepper = opts.fallbackPepper;
    this.codeTtlMinutes = opts.codeTtlMinutes;
    this.companyLookups = companyLookupLimit(opts.lookupsPerMinute ?? DEFAULT_LOOKUPS_PER_MINUTE);
  }

  /** docs/api.md §1. */
  async sendCode(ref: CompanyRef, input: SendCodeInput): Promise<Outcome> {
    const request = await this.accept(ref, input);
    if ('kind' in request) return request;
    const { company, document, email } = request;

    // Before the lookup: whether a client exists, and its masked email, are what automation is after.
    const lookupWait = await this.takeLookup(company, document, input.conversation);
    if (lookupWait > 0) return outcomes.tooManySends(lookupWait);
    const client = await this.stores.clients.find(company.sigla, document);
    if (!client) return outcomes.clientNotFound();
    if (client.email !== null && !sameEmail(client.email, email)) {
      return outcomes.similarEmail(maskEmail(client.email), company.assistente, company.site);
    }

    const limitKey = this.limitKey(company, document);
    const lock = await this.stores.limits.clientLock(limitKey);
    if (lock.seconds > 0) return outcomes.locked(lock.seconds);
    // Before anything is spent (docs/api.md §7): an address whose domain cannot receive mail is
    // answered like a refused mail, with no SMTP attempt and no send counted.
    const lookupStarted = performance.now();
    const receivable = this.domains ? await this.domains.check(domainOf(email)) : 'found';
    if (receivable === 'no_domain' || receivable === 'null_mx') {
      return outcomes.mailFailed(maskEmail(email), new UndeliverableDomainError(receivable));
    }
    const spentMs = performance.now() - lookupStarted;
    // The client's sends and the mailbox's codes (the mailbox, not the address as typed: plus-tags,
    // Gmail's dots; under a keyed hash), counted together; refused by either, neither is spent.
    const recipientKey = keyedHash(mailboxKey(email), this.pepper);
    const [send, recipient] = await this.stores.limits.takeAll([
      { limit: SEND_LIMIT, key: limitKey },
      { limit: RECIPIENT_LIMIT, key: recipientKey },
    ]);
    if (!send.ok) {
      if (recipient.ok) await this.stores.limits.giveBack(RECIPIENT_LIMIT, recipientKey, recipient.at);
      return outcomes.tooManySends(send.waitSeconds);
    }
    if (!recipient.ok) {
      await this.stores.limits.giveBack(SEND_LIMIT, limitKey, send.at);
      return outcomes.tooManySends(recipient.waitSeconds);
    }

    const code = generateCode();
    try {
      await this.mailer.send(validationMail(company, email, code, this.codeTtlMinutes), { spentMs });
    } catch (err) {
      // The mail never went out, so it counts neither against the client's sends nor the address's.
      await this.stores.limits.giveBack(SEND_LIMIT, limitKey, send.at);
      await this.stores.limits.giveBack(RECIPIENT_LIMIT, recipientKey, recipient.at);
      return outcomes.mailFailed(maskEmail(email), err);
    }
    // Stored only once the SMTP server accepted the mail: a code nobody received is never live,
    // and a failed send leaves the code the client already has untouched.
    const createdAt = new Date();
    await this.stores.codes.replace({
      ...this.codeKey(company, document, email),
      codeHash: hashCode(code, this.pepper),
      attempts: 0,
      createdAt,
      expiresAt: new Date(createdAt.getTime() + this.codeTtlMinutes * 60_000),
    });
    return outcomes.codeSent();
  }

  /** docs/api.md §2. */
  async confirmCode(ref: CompanyRef, input: ConfirmCodeInput): Promise<Outcome> {
    const code = parseCode(input.codigo) ?? '';
    const request = await this.accept(ref, input, code ? undefined : outcomes.invalidCode());
    if ('kind' in request) return request;
    const { company, document, email } = request;

    const limitKey = this.limitKey(company, document);
    const lock = await this.stores.limits.clientLock(limitKey);
    if (lock.seconds > 0) return outcomes.locked(lock.seconds);

    const key = this.codeKey(company, document, email);
    const now = new Date();
    const live = await this.stores.codes.findLive(key, now, MAX_ATTEMPTS_PER_CODE);
    if (!live) return outcomes.noLiveCode();

    if (codeMatches(code, live.codeHash, this.pepper, this.fallbackPepper)) {
      // What is recorded lasts, so it goes by the company as it is now, not as kept for a few seconds:
      // a key replaced or revoked validates nothing, a destination just set is notified.
      const current = await this.company(ref, { fresh: true });
      if (!current) return outcomes.invalidKey();
      // Only one of any number of concurrent confirmations gets to delete the code.
      if (!(await this.stores.codes.consume(key, live.codeHash, now, MAX_ATTEMPTS_PER_CODE))) {
        return outcomes.noLiveCode();
      }
      if (lock.failures) await this.stores.limits.clearFailures(limitKey);
      const validation = newValidation(email, now, doorOf(ref), Boolean(current.notification));
      const client = await this.stores.clients.markEmailValidated(company.sigla, document, validation);
      if (!client) return this.refuseChangedClient(company, document);
      return outcomes.confirmed();
    }

    const spent = await this.stores.codes.addWrongAttempt(key, live.codeHash, now, MAX_ATTEMPTS_PER_CODE);
    // Only a guess counted against a live code is a failure: the code may have died meanwhile
    // (used, replaced or spent by concurrent guesses), and then this one was never evaluated.
    if (spent === null) return outcomes.noLiveCode();
    const lockedFor = await this.stores.limits.addFailure(limitKey);
    if (lockedFor > 0) return outcomes.locked(lockedFor);
    const left = MAX_ATTEMPTS_PER_CODE - spent;
    // docs/api.md §2: the guess that spends the code's last try says so, and that a new code is needed.
    return left > 0 ? outcomes.wrongCode(left) : outcomes.lastAttemptSpent();
  }

  /**
   * What both use cases start from: the normalized document and email, then the company, or the
   * first refusal in that order (`refusal` is a further input check, between the email and the key).
   */
  private async accept(ref: CompanyRef, input: SendCodeInput, refusal?: Outcome): Promise<AcceptedRequest | Outcome> {
    const document = parseDocument(input.cpfCnpj);
    if (!document) return outcomes.invalidDocument();
    const email = parseEmail(input.email);
    if (!email) return outcomes.invalidEmail();
    if (refusal) return refusal;
    const company = await this.company(ref);
    if (!company) return outcomes.invalidKey();
    return { company, document, email };
  }

  /** The company a request acts for, or `null` when its key (or sigla) is unknown. */
  private async company(ref: CompanyRef, lookup?: CompanyLookup): Promise<Company | null> {
    if ('sigla' in ref) return this.stores.companies.findBySigla(ref.sigla, lookup);
    if (ref.key.length === 0 || ref.key.length > MAX_KEY_LENGTH) return null;
    return this.stores.companies.findByKeyHash(hashKey(ref.key), lookup);
  }

  /**
   * Counts a lookup against the anti-automation limits (docs/api.md §3): a conversation's own (distinct
   * documents per conversation, lookups per channel user), then the company's rolling budget, which
   * both doors share: a conversation's and a user's ids are whatever the caller chose, the company
   * is not. Answers `0`, or the seconds to wait.
   */
  private async takeLookup(company: Company, document: string, conversation?: ConversationRef): Promise<number> {
    const limits = this.stores.limits;
    if (conversation) {
      const userKey = `${company.sigla}:${conversation.channelId}:${conversation.userId}`;
      const [documents, user] = await limits.takeAll([
        { limit: CONVERSATION_DOCUMENT_LIMIT, key: `${company.sigla}:${conversation.channelId}:${conversation.id}`, member: keyedHash(document, this.pepper) },
        { limit: USER_LOOKUP_LIMIT, key: userKey },
      ]);
      if (!documents.ok) {
        // Refused by the conversation's own limit: the user's lookup is not spent either.
        if (user.ok) await limits.giveBack(USER_LOOKUP_LIMIT, userKey, user.at);
        return documents.waitSeconds;
      }
      if (!user.ok) return user.waitSeconds;
    }
    return limits.count(this.companyLookups, company.sigla);
  }

  /** Limits and locks count per (company, client). */
  private limitKey(company: Company, document: string): string {
    return `${company.sigla}:${document}`;
  }

  private codeKey(company: Company, document: string, email: string): CodeKey {
    return { companyId: company.sigla, document, email: emailKey(email) };
  }

  /** The client was removed or given another email between the send and the confirmation. */
  private async refuseChangedClient(company: Company, document: string): Promise<Outcome> {
    const client = await this.stores.clients.find(company.sigla, document);
    if (!client?.email) return outcomes.clientNotFound();
    return outcomes.similarEmail(maskEmail(client.email), company.assistente, company.site);
  }
}
