/**
 * The sections of the visitor-facing notice, each built from the policy alone: what it collects,
 * why, for how long, which cookies it sets, what the visitor can do, and how the log is protected.
 * The words come from policy-text.ts where the record of processing needs the same ones.
 */
import { ASN_ATTRIBUTION } from '../../enrich/company.js';
import type { DefinedPolicy } from '../../policy/define.js';
import { type Block, type Inline, list, p, type Section } from './document.js';
import {
  appendOnlyLogText,
  BASIS_TEXT,
  CATEGORY_LABELS,
  CATEGORY_ORDER,
  clientItems,
  cookieRows,
  essentialItems,
  joinWords,
  nonessentialItems,
  optionalFieldText,
  retentionText,
  securityMeasures,
  securityText,
} from './policy-text.js';
import {
  ccpaSection,
  exemptionBlocks,
  recipientBlocks,
  rightsSection,
  withdrawalBlocks,
} from './rights.js';

/** The validated policy and options every section builder reads. */
export interface NoticeContext {
  policy: DefinedPolicy;
  site: string;
  contact: Inline;
  prefix: string | undefined;
  recipients: readonly string[];
  updated: string | undefined;
  /** How many stores cannot erase single records. */
  appendOnlyLogs: number;
  /** Whether some store keeps records in files on the server while its database is down. */
  diskSpill: boolean;
  /** Whether some store keeps the consent ledger, so that the notice may say choices are recorded. */
  consentLedger: boolean;
  /** Who answers for the log, by name; undefined when neither the options nor the policy say. */
  controller: string | undefined;
  dpo: string | undefined;
  transfers: readonly string[];
}

/** The sections in the order of the seed policy. */
export function noticeSections(context: NoticeContext): Section[] {
  return [
    collected(context),
    optional(context),
    use(context),
    cookies(context),
    retention(context),
    choices(context),
    rightsSection(context),
    ...[ccpaSection(context)].filter((s): s is Section => s !== undefined),
    security(context),
    contact(context),
  ];
}

function collected({ policy }: NoticeContext): Section {
  const { nonessential } = policy.categories;
  const blocks: Block[] = [
    p(
      'When you visit this site, the access information listed below is recorded automatically. Nothing else is collected unless you deliberately decide to send it (see Optional information).',
    ),
  ];
  const groups: [string, string[]][] = [
    [CATEGORY_LABELS.client, clientItems(policy)],
    [CATEGORY_LABELS.essential, essentialItems(policy)],
    [CATEGORY_LABELS.nonessential, nonessentialItems(policy)],
  ];
  for (const [label, items] of groups) {
    if (items.length === 0) continue;
    blocks.push(p({ strong: label }), list(items));
  }
  if (nonessential) {
    blocks.push(
      p(
        nonessential.basis === 'consent'
          ? 'Nonessential technical information is recorded only if you agree (see Your choices).'
          : 'Nonessential technical information is recorded unless you object (see Your choices).',
      ),
    );
  }
  if (policy.categories.essential.bots === 'skip') {
    blocks.push(p('Requests from known robots and automated tools are not recorded at all.'));
  }
  const evidence = securityText(policy);
  if (evidence) blocks.push(p(evidence));
  // CC BY 4.0 asks for credit wherever the data is used; the notice is where visitors see it.
  if (policy.categories.client?.company) blocks.push(p(ASN_ATTRIBUTION.text));
  return { id: 'collected', title: 'What is collected automatically', blocks };
}

function optional({ policy }: NoticeContext): Section {
  const category = policy.categories.optional;
  const blocks: Block[] = category
    ? [
        p(
          'Some parts of this site let you send us information on purpose, for example a contact form or an e-mail. Of what you send, the access log keeps only the following, and only when you send it:',
        ),
        list(category.fields.map(optionalFieldText)),
        p(
          category.basis === 'consent'
            ? 'Nothing else you type is recorded. This information is recorded in the access log only with your consent, and never after you object (see Your choices).'
            : category.basis === 'legitimate-interests'
              ? 'Nothing else you type is recorded. If you object to nonessential information (see Your choices), this information is not recorded in the access log either.'
              : 'Nothing else you type is recorded.',
        ),
      ]
    : [p('The access log does not record any information you send us.')];
  return { id: 'optional', title: 'Optional information', blocks };
}

function use(context: NoticeContext): Section {
  const { policy, recipients } = context;
  const items: Inline[][] = [];
  for (const name of CATEGORY_ORDER) {
    const category = policy.categories[name];
    if (!category) continue;
    items.push([
      { strong: CATEGORY_LABELS[name] },
      `: ${category.purposes.map(lowerFirst).join('; ')}. Legal basis: ${BASIS_TEXT[category.basis]}.`,
    ]);
  }
  const blocks: Block[] = [
    p('Each kind of information is used for these purposes only:'),
    list(items),
    p(
      'Your Internet address is needed to send the page you ask for to your computer. The networks that carry it between this site and you can see it too; we do not control their privacy practices.',
    ),
    p(
      `We never use this information for purposes other than those listed here. A new purpose needs a new version of this notice (this is version ${policy.version} of the "${policy.name}" policy) and, where the law requires it, your consent or a chance to object first.`,
    ),
  ];
  const forwarded = policy.categories.security?.purposes.some((purpose) =>
    /law enforcement|police|authorit/i.test(purpose),
  );
  if (forwarded) {
    blocks.push(
      p(
        'Security records may be forwarded, with other relevant information we hold, to law enforcement agencies investigating an attack.',
      ),
    );
  }
  const besides = forwarded ? 'Otherwise, we' : 'We';
  if (recipients.length === 0) {
    blocks.push(p(`${besides} do not share the access log with anyone outside this site.`));
  } else {
    blocks.push(
      p(`${forwarded ? 'Otherwise, the' : 'The'} access log is shared only with:`),
      list([...recipients]),
    );
  }
  blocks.push(...recipientBlocks(context));
  return { id: 'use', title: 'How the information is used', blocks };
}

function cookies({ policy, prefix }: NoticeContext): Section {
  const rows = cookieRows(policy, prefix !== undefined);
  if (rows.length === 0) {
    return { id: 'cookies', title: 'Cookies', blocks: [p('The access log sets no cookies.')] };
  }
  const blocks: Block[] = [
    p(
      'A cookie is a small piece of data a web site stores in your browser. The access log uses these cookies. They are first-party cookies: only this site sets and reads them, and they are marked HttpOnly and SameSite=Lax (and Secure on encrypted connections, where their name carries the __Host- prefix).',
    ),
    {
      kind: 'table',
      head: ['Name', 'Purpose', 'Lifetime', 'First party'],
      rows: rows.map((row) => [
        row.names.flatMap((name, i): Inline[] =>
          i === 0 ? [{ code: name }] : [', ', { code: name }],
        ),
        [row.purpose],
        [row.lifetime],
        [row.firstParty ? 'Yes' : 'No'],
      ]),
    },
  ];
  if (policy.categories.nonessential?.visitor === 'daily-hash') {
    blocks.push(
      p('Visitors are counted without any cookie (see What is collected automatically).'),
    );
  }
  return { id: 'cookies', title: 'Cookies', blocks };
}

function retention({ policy, appendOnlyLogs, diskSpill }: NoticeContext): Section {
  const rows: Inline[][][] = [];
  for (const name of CATEGORY_ORDER) {
    const category = policy.categories[name];
    if (category) rows.push([[CATEGORY_LABELS[name]], [retentionText(category.retention)]]);
  }
  const blocks: Block[] = [
    p('Each kind of information is kept for the time below, counted from the visit:'),
    { kind: 'table', head: ['Information', 'Kept for'], rows },
  ];
  const declared = CATEGORY_ORDER.filter((name) => policy.categories[name] !== undefined);
  const forever = declared.filter((name) => policy.categories[name]?.retention === 'forever');
  if (forever.length > 0) {
    const all = forever.length === declared.length;
    const what = all
      ? 'All of this information is'
      : `${joinWords(forever.map((name) => CATEGORY_LABELS[name]))} ${forever.length === 1 ? 'is' : 'are'}`;
    blocks.push(
      p(
        `${what} kept indefinitely: there is no time limit, and it is deleted only when it is erased on request.`,
      ),
    );
  }
  if (forever.length < declared.length) {
    blocks.push(
      p(
        'When its time is up, each kind of information is deleted automatically, and a record is deleted as a whole when nothing is left in it.',
      ),
    );
  }
  if (policy.categories.security) {
    blocks.push(
      p(
        `A security record keeps the whole access record for as long as security records are kept (${retentionText(policy.categories.security.retention)}).`,
      ),
    );
  }
  const appendOnly = appendOnlyLogText(appendOnlyLogs);
  if (appendOnly) blocks.push(p(appendOnly));
  if (diskSpill) {
    blocks.push(
      p(
        'While the database of the log cannot be reached, records waiting to be stored may be kept in files on the server of this site, readable only by the service that writes the log. The same retention periods apply to them, an erasure request removes them there too, and each file is deleted once its records are stored.',
      ),
    );
  }
  blocks.push(
    p(
      'Records needed as evidence in a legal matter may be placed under a legal hold: they are then kept, and not erased, until the hold is released, for no longer than the matter requires.',
    ),
  );
  return { id: 'retention', title: 'How long it is kept', blocks };
}

function choices({ policy, prefix, consentLedger }: NoticeContext): Section {
  const { nonessential, optional: optionalCategory } = policy.categories;
  const route = (path: string) => (prefix === undefined ? undefined : `${prefix}/${path}`);
  const blocks: Block[] = [
    p(
      'There is no legal requirement for you to provide any information to this site. The site cannot work without the client information that routes its pages to you and the essential technical information, which is why these are recorded on every visit.',
    ),
  ];
  if (nonessential) {
    blocks.push(
      p(
        'Refusing nonessential technical information does not stop you from using this site, though some features may not work.',
      ),
    );
  }
  if (optionalCategory) {
    blocks.push(
      p(
        'If you do not give optional information a feature asks for, that feature may not be available to you.',
      ),
    );
  }
  const optOut = route('opt-out');
  const optIn = route('opt-in');
  blocks.push(...exemptionBlocks(policy));
  if (nonessential) {
    const remembered =
      prefix === undefined
        ? ''
        : 'Your choice is remembered in a cookie that holds no identifier (see Cookies).';
    const cookie = nonessential.visitor === 'cookie';
    if (nonessential.basis === 'consent') {
      blocks.push(
        p(
          { strong: 'Consent' },
          `: nonessential technical information${cookie ? ' and the visitor id cookie are' : ' is'} recorded only with your consent. Withdrawing consent is as easy as giving it. ${remembered}`,
        ),
      );
    } else {
      blocks.push(
        p(
          { strong: 'Opt-out' },
          `: you can object to nonessential technical information${optionalCategory ? ' and optional information' : ''} at any time; from then on ${optionalCategory ? 'neither is' : 'it is not'} recorded${cookie ? ' and the visitor id cookie is removed' : ''}. ${remembered}`,
        ),
      );
    }
    if (optIn && optOut) {
      const consent = nonessential.basis === 'consent';
      blocks.push(
        { kind: 'form', action: consent ? optIn : optOut, label: consent ? 'I agree' : 'Opt out' },
        {
          kind: 'form',
          action: consent ? optOut : optIn,
          label: consent ? 'Withdraw consent' : 'Undo opt-out',
        },
      );
    }
    blocks.push(...withdrawalBlocks(policy, prefix, consentLedger));
  } else {
    blocks.push(p('No nonessential information is recorded, so there is nothing to opt out of.'));
  }
  const client = policy.categories.client;
  const lookups = [
    ...(client && client.geo !== 'none' ? ['GeoIP'] : []),
    ...(client?.domain ? ['domain'] : []),
    ...(client?.company ? ['company'] : []),
  ];
  const parts = [
    ...(nonessential?.visitor === 'cookie'
      ? ['no visitor id cookie is set (an existing one is removed)']
      : []),
    ...(nonessential ? ['no nonessential technical information is recorded'] : []),
    ...(optionalCategory ? ['no optional information is recorded'] : []),
    ...(lookups.length > 0 ? [`your address is not looked up (${lookups.join(', ')})`] : []),
  ];
  const objection =
    parts.length > 0
      ? joinWords(parts)
      : 'nothing changes, since nothing beyond what the site needs is recorded';
  blocks.push(
    p(
      { strong: 'Global Privacy Control (GPC)' },
      policy.signals.gpc
        ? `: if your browser sends the GPC signal (Sec-GPC: 1), we treat it as an objection: ${objection}.${prefix === undefined ? '' : ' This site declares it at /.well-known/gpc.json.'}`
        : ': this site does not act on the GPC signal. Use the opt-out above instead.',
    ),
    p(
      { strong: 'Do Not Track (DNT)' },
      policy.signals.dnt
        ? `: if your browser sends DNT: 1, we treat it as an objection too: ${objection}.`
        : ': this site does not treat the DNT signal as an objection. Use the opt-out above instead.',
    ),
  );
  const status = route('status');
  if (status) {
    blocks.push(
      p('To see what is recorded for your current visit: ', { link: status, text: status }, '.'),
    );
  }
  if (nonessential?.visitor === 'cookie' && prefix !== undefined) {
    const myData = route('my-data')!;
    blocks.push(
      p(
        { strong: 'See your data' },
        ': ',
        { link: myData, text: myData },
        ' downloads, as a JSON file, every access record tied to the visitor id in your browser’s cookie.',
      ),
      p(
        { strong: 'Erase your data' },
        `: this deletes those records everywhere the access log keeps them and removes the visitor id cookie. Records under a legal hold are kept until the hold is released; the answer says how many${policy.categories.security ? ', apart from security records (see below)' : ''}.`,
      ),
      { kind: 'form', action: route('erase')!, label: 'Erase my data' },
    );
  }
  blocks.push(
    p(
      `${optionalCategory ? 'For information you sent us, such as your e-mail address, or for' : 'For'} any other request about your data (access, correction, erasure, restriction or objection), contact us (see Contact).`,
    ),
  );
  if (policy.categories.security) {
    // In general terms, the same for every reader: a sentence tied to one visitor would tell the
    // person investigated that they are.
    blocks.push(
      p(
        { strong: 'Security records' },
        ': while an attack on this site is investigated, access to the records kept for that investigation, and their erasure, may be restricted as the law allows (for example under Article 23 GDPR and national law). They are not shown in the download above and not counted in the answer to an erasure request; they are deleted when the investigation and any proceedings no longer need them.',
      ),
    );
  }
  return { id: 'choices', title: 'Your choices', blocks };
}

function security({ policy }: NoticeContext): Section {
  return {
    id: 'security',
    title: 'Security',
    blocks: [
      p(
        'To prevent unauthorised access, keep the information accurate and make sure it is used correctly, the access log is protected as follows:',
      ),
      list(securityMeasures(policy)),
    ],
  };
}

function contact(context: NoticeContext): Section {
  const { policy, updated } = context;
  return {
    id: 'contact',
    title: 'Contact',
    blocks: [
      p(
        context.controller
          ? `The controller responsible for the access log is ${context.controller}.`
          : `The controller responsible for the access log is the operator of ${context.site}.`,
      ),
      p(
        'Questions, comments or concerns about this notice or about the information kept about you: ',
        context.contact,
        '.',
      ),
      ...(context.dpo ? [p(`Our data protection officer: ${context.dpo}.`)] : []),
      p(
        'You also have the right to lodge a complaint with a data protection supervisory authority.',
      ),
      p(
        `This notice is generated from version ${policy.version} of the "${policy.name}" access-log policy${updated ? `; last updated ${updated}` : ''}.`,
      ),
    ],
  };
}

function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text[0]!.toLowerCase() + text.slice(1) : text;
}
