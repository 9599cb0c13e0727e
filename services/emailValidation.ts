import { parseDocument } from './document';
import { emailKey, maskEmail, parseEmail, sameEmail } from './email';
import { generateCode, hashCode, hashKey, parseCode, sameHash } from './code';
import { outcomes, type Outcome } from './outcome';
import { validationMail } from './mail/message';
import type { Mailer } from './mail/mailer';
import { MAX_ATTEMPTS_PER_CODE, MAX_KEY_LENGTH } from './rules';
import type { CodeKey, Company, Stores } from './store/types';

/**
 * The two use cases of the product (CONTRACT §1–§3): send a validation code, confirm it.
 * The webhooks and the conversation call these same functions; every business rule is here.
 */


/** Who is asking: a company key (webhooks) or a company's sigla (the in-process conversation). */
export type CompanyRef = { key: string } | { sigla: string };

export interface SendCodeInput {
  cpfCnpj: string;
  email: string;
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
  codeTtlMinutes: number;
  /** A mail the SMTP server did not take (answered 500): for the log. */
  onMailError?: (err: unknown) => void;
}

export class EmailValidationService {
  private readonly stores: Stores;
  private readonly mailer: Mailer;
  private readonly pepper: string;
  readonly codeTtlMinutes: number;
  private readonly onMailError?: (err: unknown) => void;

  constructor(opts: EmailValidationServiceOptions) {
    this.stores = opts.stores;
    this.mailer = opts.mailer;
    this.pepper = opts.pepper;
    this.codeTtlMinutes = opts.codeTtlMinutes;
    this.onMailError = opts.onMailError;
  }

  /** CONTRACT §1. */
  async sendCode(ref: CompanyRef, input: SendCodeInput): Promise<Outcome> {
    const request = await this.accept(ref, input);
    if ('kind' in request) return request;
    const { company, document, email } = request;

    const client = await this.stores.clients.find(company.sigla, document);
    if (!client) return outcomes.clientNotFound();
    if (client.email !== null && !sameEmail(client.email, email)) {
      return outcomes.similarEmail(maskEmail(client.email), company.assistente, company.site);
    }

    const limitKey = this.limitKey(company, document);
    const wait = await this.stores.limits.takeSend(limitKey);
    if (wait > 0) return outcomes.tooManySends(wait);

    const code = generateCode();
    try {
      await this.mailer.send(validationMail(company, email, code, this.codeTtlMinutes));
    } catch (err) {
      this.onMailError?.(err);
      // The mail never went out, so it does not count against the client's sends.
      await this.stores.limits.returnSend(limitKey);
      return outcomes.mailFailed(maskEmail(email));
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

  /** CONTRACT §2. */
  async confirmCode(ref: CompanyRef, input: ConfirmCodeInput): Promise<Outcome> {
    const code = parseCode(input.codigo) ?? '';
    const request = await this.accept(ref, input, code ? undefined : outcomes.invalidCode());
    if ('kind' in request) return request;
    const { company, document, email } = request;

    const limitKey = this.limitKey(company, document);
    const locked = await this.stores.limits.lockSeconds(limitKey);
    if (locked > 0) return outcomes.locked(locked);

    const key = this.codeKey(company, document, email);
    const now = new Date();
    const live = await this.stores.codes.findLive(key, now, MAX_ATTEMPTS_PER_CODE);
    if (!live) return outcomes.noLiveCode();

    if (sameHash(hashCode(code, this.pepper), live.codeHash)) {
      // Only one of any number of concurrent confirmations gets to delete the code.
      if (!(await this.stores.codes.consume(key, live.codeHash, now, MAX_ATTEMPTS_PER_CODE))) {
        return outcomes.noLiveCode();
      }
      await this.stores.limits.clearFailures(limitKey);
      const client = await this.stores.clients.markEmailValidated(company.sigla, document, email, now);
      if (!client) return this.refuseChangedClient(company, document);
      return outcomes.confirmed();
    }

    const spent = await this.stores.codes.addWrongAttempt(key, live.codeHash, now, MAX_ATTEMPTS_PER_CODE);
    const lock = await this.stores.limits.addFailure(limitKey);
    if (lock > 0) return outcomes.locked(lock);
    const left = spent === null ? 0 : MAX_ATTEMPTS_PER_CODE - spent;
    return left > 0 ? outcomes.wrongCode(left) : outcomes.noLiveCode();
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
  private async company(ref: CompanyRef): Promise<Company | null> {
    if ('sigla' in ref) return this.stores.companies.findBySigla(ref.sigla);
    if (ref.key.length === 0 || ref.key.length > MAX_KEY_LENGTH) return null;
    return this.stores.companies.findByKeyHash(hashKey(ref.key));
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
