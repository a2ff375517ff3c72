import { definePolicy } from '../../policy/define.js';
import type { PolicyInput } from '../../policy/schema.js';
import { type Document, type Inline, p, renderHtml, renderMarkdown } from './document.js';
import { type NoticeContext, noticeSections } from './sections.js';

/** Options of {@link renderNotice}. */
export interface NoticeOptions {
  /** The site as visitors know it: `'Example Shop'` or `'shop.example'`. */
  site: string;
  /** Where to write: an e-mail address, a web address, or a postal address as text. */
  contact: string;
  /** The controller, by name (a company or a person). Default: the policy's `notice.controller`. */
  controller?: string;
  /** The data protection officer and how to reach them. Default: the policy's `notice.dpo`. */
  dpo?: string;
  /** Default `'markdown'`. HTML is a complete page with no script. */
  format?: 'markdown' | 'html';
  /**
   * Where the privacy routes are mounted (`logger.router({ prefix })`), so that the notice can
   * link to them; `false` when the app does not mount them. Default `'/privacy'`.
   */
  routes?: string | false;
  /**
   * Who else receives access-log data (a hosting provider, say). Default: nobody, and the notice
   * says so.
   */
  recipients?: readonly string[];
  /** A date shown as "last updated". Default: none shown, so that the text is reproducible. */
  updated?: string;
  /**
   * How many of the log's stores cannot erase single records (append-only logs such as an
   * `NdjsonStore`); the notice then says how long they keep data. `logger.router()` counts them
   * from the stores in use. Default 0.
   */
  appendOnlyLogs?: number;
  /**
   * Whether a store keeps records in a disk spill while its database is down (the `spill` option
   * of `PostgresStore` and `RedisStreamStore`); the notice then says so. `logger.router()` knows
   * it from the stores in use. Default false.
   */
  diskSpill?: boolean;
  /**
   * Whether a store keeps the consent ledger (the record of each change of choice); without one
   * the notice does not say that choices are recorded. `logger.router()` knows it from the stores
   * in use. Default true.
   */
  consentLedger?: boolean;
}

/**
 * Write the visitor-facing privacy notice from a policy alone, in the sections of a classic
 * website privacy policy: what is collected automatically, optional information, how it is used,
 * cookies (with a table), retention, your choices (opt-out or consent, GPC, DNT, access and
 * erasure), security and contact. Every string from the policy and the options is escaped for
 * the chosen format. Throws {@link PolicyError} for an invalid policy.
 */
export function renderNotice(policy: PolicyInput, options: NoticeOptions): string {
  const doc = noticeDocument(policy, options);
  return options.format === 'html' ? renderHtml(doc) : renderMarkdown(doc);
}

/** The notice as a document model, before rendering; for tests and custom renderings. */
export function noticeDocument(input: PolicyInput, options: NoticeOptions): Document {
  const policy = definePolicy(input, 'policy');
  if (typeof options?.site !== 'string' || options.site.trim() === '') {
    throw new TypeError('renderNotice: options.site must name the site');
  }
  if (typeof options.contact !== 'string' || options.contact.trim() === '') {
    throw new TypeError('renderNotice: options.contact must say how to reach you');
  }
  const routes = options.routes ?? '/privacy';
  const context: NoticeContext = {
    policy,
    site: options.site.trim(),
    contact: contactInline(options.contact.trim()),
    prefix: routes === false ? undefined : routes.replace(/\/+$/, ''),
    recipients: options.recipients ?? [],
    updated: options.updated,
    appendOnlyLogs: options.appendOnlyLogs ?? 0,
    diskSpill: options.diskSpill === true,
    consentLedger: options.consentLedger !== false,
    controller: (options.controller ?? policy.notice.controller)?.trim() || undefined,
    dpo: (options.dpo ?? policy.notice.dpo)?.trim() || undefined,
    transfers: policy.notice.transfers,
  };
  return {
    title: `Privacy notice of ${context.site}`,
    intro: [
      p(
        `${context.site.charAt(0).toUpperCase()}${context.site.slice(1)} keeps an access log of its visits. This notice says what the log records, why, for how long, and what you can do about it. It is generated from the settings that govern the log, so it describes what the log actually does. Comments on it are welcome (see `,
        { link: '#contact', text: 'Contact' },
        ').',
      ),
    ],
    sections: noticeSections(context),
  };
}

function contactInline(contact: string): Inline {
  if (/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(contact)) {
    return { link: `mailto:${contact}`, text: contact };
  }
  if (/^https?:\/\/\S+$/i.test(contact)) return { link: contact, text: contact };
  return contact;
}
