/**
 * The parts of the notice that say who answers for the log and what the visitor may ask of them:
 * recipients and transfers, the data-subject rights, automated decisions, the CCPA notice at
 * collection, and why no consent is asked where an exemption applies. Built from the policy and
 * the notice options alone, like the other sections.
 */
import type { DefinedPolicy } from '../../policy/define.js';
import { DAY_MS, parseDuration } from '../../policy/duration.js';
import { type Block, type Inline, list, p, type Section } from './document.js';
import {
  CATEGORY_LABELS,
  CATEGORY_ORDER,
  joinWords,
  optionalFieldText,
  retentionText,
} from './policy-text.js';
import type { NoticeContext } from './sections.js';

const consentCategories = (policy: DefinedPolicy) =>
  CATEGORY_ORDER.filter((name) => policy.categories[name]?.basis === 'consent');

/** Who, besides this site, receives the data or sees the address, and transfers abroad. */
export function recipientBlocks({ policy, transfers }: NoticeContext): Block[] {
  const blocks: Block[] = [];
  const client = policy.categories.client;
  if (client?.domain) {
    const address = client.enrichFromFullAddress
      ? 'your Internet address'
      : 'your shortened Internet address';
    blocks.push(
      p(
        `To find the domain name of your network, ${address} is sent after your visit to the DNS resolvers this site uses for reverse lookups (the operators of those resolvers and of the name servers they ask receive it).`,
      ),
    );
  }
  if (transfers.length === 0) {
    blocks.push(p('The access log is not transferred to another country.'));
  } else {
    blocks.push(
      p('The access log is transferred to other countries as follows:'),
      list([...transfers]),
    );
  }
  return blocks;
}

/** The rights of the GDPR that apply to the log, how to use them, and automated decisions. */
export function rightsSection(context: NoticeContext): Section {
  const { policy, contact } = context;
  const byConsent = consentCategories(policy);
  const items: Inline[][] = [
    [
      { strong: 'Access' },
      ': to know whether we keep information about you and to get a copy of it.',
    ],
    [{ strong: 'Rectification' }, ': to have inaccurate information corrected.'],
    [{ strong: 'Erasure' }, ': to have information about you deleted.'],
    [
      { strong: 'Restriction' },
      ': to have the use of your information limited while a question about it is settled.',
    ],
    [
      { strong: 'Portability' },
      ': to receive the information you gave us, or that we keep on your consent, in a structured, machine-readable format (JSON), and to have it sent to someone else.',
    ],
    [
      { strong: 'Objection' },
      ': to object at any time to the use of information based on our legitimate interests (see Your choices); we then stop unless we have compelling grounds, such as delivering and securing the site.',
    ],
  ];
  if (byConsent.length > 0) {
    items.push([
      { strong: 'Withdrawal of consent' },
      `: to withdraw your consent (for ${joinWords(byConsent.map((n) => CATEGORY_LABELS[n].toLowerCase()))}) at any time, as easily as you gave it; this does not affect what was done before.`,
    ]);
  }
  items.push([
    { strong: 'Complaint' },
    ': to lodge a complaint with a data protection supervisory authority, in particular where you live or work.',
  ]);
  return {
    id: 'rights',
    title: 'Your rights',
    blocks: [
      p(
        'Under data protection law (the GDPR and laws like it), you have these rights over the information in the access log:',
      ),
      list(items),
      p('To use them, write to ', contact, ' (see Contact). We answer within one month.'),
      p(
        { strong: 'Automated decisions' },
        ': the access log is not used for any decision based solely on automated processing, including profiling, that has legal or similarly significant effects on you.',
      ),
    ],
  };
}

/** The CCPA notice at collection, for a policy that asks for it (`notice.ccpa`). */
export function ccpaSection(context: NoticeContext): Section | undefined {
  const { policy, prefix, contact } = context;
  if (!policy.notice.ccpa) return undefined;
  const categories: Inline[][] = [];
  for (const name of CATEGORY_ORDER) {
    const category = policy.categories[name];
    if (!category) continue;
    const fields =
      name === 'optional' && policy.categories.optional
        ? ` (${policy.categories.optional.fields.map(optionalFieldText).join('; ')})`
        : '';
    categories.push([
      { strong: CATEGORY_LABELS[name] },
      `${fields}: used to ${category.purposes.map((x) => x.charAt(0).toLowerCase() + x.slice(1)).join('; ')}. Kept for ${retentionText(category.retention)}.`,
    ]);
  }
  const ways: Inline[] = [contact];
  const route = (path: string) => (prefix === undefined ? undefined : `${prefix}/${path}`);
  const myData = route('my-data');
  const blocks: Block[] = [
    p(
      'This section is our notice at collection under the California Consumer Privacy Act (CCPA). We collect these categories of personal information, for these purposes, and keep each for the time given:',
    ),
    list(categories),
    p(
      { strong: 'Sale and sharing' },
      ': we do not sell your personal information and do not share it for cross-context behavioral advertising, and we have not done so in the past 12 months. We do not use or disclose sensitive personal information.',
    ),
    p('As a California resident you have the right:'),
    list([
      [
        { strong: 'to know' },
        ' what personal information we collect, use and disclose about you, and to get a copy of it;',
      ],
      [{ strong: 'to delete' }, ' personal information we collected from you;'],
      [{ strong: 'to correct' }, ' inaccurate personal information;'],
      [
        { strong: 'to opt out of sale or sharing' },
        ' of your personal information (a Global Privacy Control signal counts as this opt-out);',
      ],
      [{ strong: 'to limit' }, ' the use and disclosure of sensitive personal information;'],
      [
        { strong: 'not to be discriminated against' },
        ' for using any of these rights: we do not deny service, charge different prices or give a different quality of service for it.',
      ],
    ]),
    p(
      { strong: 'How to make a request' },
      ': write to ',
      ...ways,
      myData
        ? `, or use the links in Your choices (see ${myData} for your data and the opt-out button). We verify a request by the visitor id in your browser or by the e-mail address you gave us, and you may use an authorized agent.`
        : '. We verify a request by the e-mail address you gave us, and you may use an authorized agent.',
    ),
  ];
  return { id: 'ccpa', title: 'Notice at collection for California residents', blocks };
}

/** Why no consent is asked, for a policy that claims a consent exemption. */
export function exemptionBlocks(policy: DefinedPolicy): Block[] {
  if (policy.notice.consentExemption !== 'cnil-audience-measurement') return [];
  const client = policy.categories.client;
  const ipv4 = client?.ip.mode === 'truncate' ? client.ip.ipv4Prefix : undefined;
  return [
    p(
      { strong: 'Why we do not ask for your consent' },
      `: nonessential technical information is used only to measure the audience of this site, which the French data protection authority (CNIL) exempts from consent under strict conditions that this site meets: the measurement serves this site alone and is not combined with other processing or passed to anyone else; ${ipv4 !== undefined ? `your Internet address is shortened to its first ${ipv4} bits (IPv6: ${client!.ip.ipv6Prefix} bits); ` : ''}the visitor id cookie lives at most 13 months and is not extended by later visits; the information is kept at most 25 months; the linking site is kept only as its address (origin); nothing you send us is linked to the visitor id; and you can object at any time (see below).`,
    ),
  ];
}

/**
 * What withdrawing consent or opting out does to the records already tied to the visitor id, and
 * the record kept of each choice (the consent ledger).
 */
export function withdrawalBlocks(
  policy: DefinedPolicy,
  prefix: string | undefined,
  consentLedger: boolean,
): Block[] {
  if (policy.categories.nonessential?.visitor !== 'cookie' || prefix === undefined) return [];
  const ledgerDays = Math.round(parseDuration(policy.choices.ledgerRetention)! / DAY_MS);
  const blocks = [
    p(
      policy.choices.onWithdraw === 'erase'
        ? 'When you withdraw your consent or opt out, the records already tied to your visitor id are erased at once.'
        : 'When you withdraw your consent or opt out, the records already tied to your visitor id are kept until their time is up, unless you ask for them to be erased in the same step (the erase button below, or opting out with erase=1).',
    ),
    p(
      `Each time you give, refuse or withdraw consent (with the buttons, through this site's own consent choices, or by a Global Privacy Control or Do Not Track signal that overrides an earlier consent), we record when, how, your choice, your visitor id if you have one, the version of this policy and a fingerprint of this notice, so that we can show what you agreed to. This record is kept ${ledgerDays} days, is included when you download your data, and is not erased with your other data, since it is the proof of your choice.`,
    ),
  ];
  // Said only where a store keeps the ledger: otherwise no choice is recorded, and the notice
  // must not claim it.
  return consentLedger ? blocks : blocks.slice(0, 1);
}
