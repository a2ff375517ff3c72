import { describe, expect, it } from 'vitest';
import {
  definePolicy,
  PolicyError,
  presets,
  processingRecord,
  renderNotice,
  renderProcessingRecord,
} from '../../src/index.js';
import type { Block, Document, Inline } from '../../src/privacy/notice/document.js';
import { noticeDocument } from '../../src/privacy/notice/notice.js';
import { SEED_HEADINGS, SEED_STATEMENTS } from './seed-notice-mapping.js';

const OPTIONS = { site: 'Example Shop', contact: 'privacy@shop.example' } as const;

function inlineText(part: Inline): string {
  if (typeof part === 'string') return part;
  if ('code' in part) return part.code;
  if ('strong' in part) return part.strong;
  return part.text;
}

function blockText(block: Block): string {
  switch (block.kind) {
    case 'p':
      return block.parts.map(inlineText).join('');
    case 'list':
      return block.items.map((item) => item.map(inlineText).join('')).join('\n');
    case 'table':
      return [
        block.head.join(' | '),
        ...block.rows.map((row) => row.map((cell) => cell.map(inlineText).join('')).join(' | ')),
      ].join('\n');
    case 'form':
      return `${block.label} (POST ${block.action})`;
  }
}

type SectionId =
  | 'intro'
  | 'collected'
  | 'optional'
  | 'use'
  | 'cookies'
  | 'retention'
  | 'choices'
  | 'security'
  | 'contact';

/** The plain text of each section of a notice, by section id (`intro` for the opening). */
function sections(doc: Document): Record<SectionId, string> {
  const out: Record<string, string> = { intro: doc.intro.map(blockText).join('\n') };
  for (const section of doc.sections) out[section.id] = section.blocks.map(blockText).join('\n');
  return out as Record<SectionId, string>;
}

describe('the notice of presets.classic covers every statement of the seed policy', () => {
  const text = sections(
    noticeDocument(presets.classic, { ...OPTIONS, contact: 'webmaster@shop.example' }),
  );

  it('has a section for every heading of the seed', () => {
    for (const [heading, section] of Object.entries(SEED_HEADINGS)) {
      expect(text, heading).toHaveProperty(section);
    }
  });

  for (const statement of SEED_STATEMENTS) {
    it(`carries: ${statement.seed.slice(0, 80)}…`, () => {
      for (const { section, phrases } of statement.carriedBy) {
        for (const phrase of phrases)
          expect(text[section as SectionId], `${section}: ${phrase}`).toContain(phrase);
      }
    });
  }

  it('says plainly that everything is kept with no time limit, and promises no automatic deletion', () => {
    expect(text.retention).toContain(
      'All of this information is kept indefinitely: there is no time limit',
    );
    expect(text.retention).not.toContain('deleted automatically');
    expect(text.security).not.toContain('deleted automatically');
  });

  it('credits the company data under its CC BY 4.0 licence, and only where it is used', () => {
    expect(text.collected).toContain('CC BY 4.0');
    const gdpr = sections(noticeDocument(presets.gdpr, OPTIONS));
    expect(gdpr.collected).not.toContain('CC BY 4.0');
  });
});

describe('the notice of presets.gdpr', () => {
  const md = renderNotice(presets.gdpr, OPTIONS);
  const text = sections(noticeDocument(presets.gdpr, OPTIONS));

  it('names GPC, DNT and the opt-out, and how to use them', () => {
    expect(text.choices).toContain('Global Privacy Control (GPC)');
    expect(text.choices).toContain('Sec-GPC: 1');
    expect(text.choices).toContain('Do Not Track (DNT)');
    expect(text.choices).toContain('DNT: 1');
    expect(text.choices).toContain('Withdraw consent (POST /privacy/opt-out)');
    expect(text.choices).toContain('I agree (POST /privacy/opt-in)');
    expect(text.choices).toContain('/.well-known/gpc.json');
    expect(md).toContain('send a POST request to `/privacy/opt-out`');
  });

  it('names each cookie with its lifetime, purpose and party', () => {
    expect(text.cookies).toContain('Name | Purpose | Lifetime | First party');
    const rows = text.cookies.split('\n');
    const visitor = rows.find((row) => row.startsWith('pl_vid, __Host-pl_vid'));
    const choice = rows.find((row) => row.startsWith('pl_choice, __Host-pl_choice'));
    expect(visitor).toMatch(
      /Set only after you agree\. \| 13 months from your first visit; later visits do not extend it \| Yes$/,
    );
    expect(choice).toMatch(/\| 13 months \| Yes$/);
    expect(md).toContain('| `pl_vid`, `__Host-pl_vid` |');
  });

  it('gives each category’s retention', () => {
    const rows = text.retention.split('\n');
    expect(rows).toEqual(
      expect.arrayContaining([
        'Client information | 6 months',
        'Essential technical information | 13 months',
        'Nonessential technical information | 13 months',
        'Optional information | 6 months',
        'Security records | 1 year',
      ]),
    );
    expect(text.retention).not.toContain('indefinitely');
  });

  it('offers access and erasure for the visitor id, and the security record as a pseudonym', () => {
    expect(text.choices).toContain('/privacy/my-data downloads, as a JSON file');
    expect(text.choices).toContain('Erase my data (POST /privacy/erase)');
    expect(text.collected).toContain('pseudonym of your Internet address');
    expect(text.security).toContain('shortened before storage; the full address is never stored');
  });
});

describe('notices of other policies', () => {
  it('says plainly when a single category is kept forever', () => {
    const policy = definePolicy({
      ...presets.gdpr,
      name: 'keep-client',
      categories: {
        ...presets.gdpr.categories,
        client: { ...presets.gdpr.categories.client!, retention: 'forever' },
        essential: { ...presets.gdpr.categories.essential, retention: 'forever' },
      },
    });
    const text = sections(noticeDocument(policy, OPTIONS));
    expect(text.retention).toContain(
      'Client information and Essential technical information are kept indefinitely: there is no time limit',
    );
    expect(text.retention).toContain('Client information | indefinitely: there is no time limit');
  });

  it('says when DNT or GPC is not honoured', () => {
    const policy = definePolicy({
      ...presets.ccpa,
      name: 'no-signals',
      signals: { gpc: false, dnt: false },
    });
    const text = sections(noticeDocument(policy, OPTIONS));
    expect(text.choices).toContain('this site does not treat the DNT signal as an objection');
    expect(text.choices).toContain('this site does not act on the GPC signal');
    expect(text.choices).toContain('Opt out (POST /privacy/opt-out)');
  });

  it('describes a cookieless policy without a visitor cookie, and without routes when none are mounted', () => {
    const text = sections(noticeDocument(presets.cookieless, { ...OPTIONS, routes: false }));
    expect(text.cookies).toContain('The access log sets no cookies.');
    expect(text.collected).toContain('no cookie is used');
    expect(text.choices).not.toContain('/privacy/');
    expect(text.collected).toContain('the first 3 of its 4 parts');
  });

  it('says in general terms that access to security records may be restricted during an investigation', () => {
    const text = sections(noticeDocument(presets.classic, OPTIONS));
    expect(text.choices).toContain(
      'while an attack on this site is investigated, access to the records kept for that investigation, and their erasure, may be restricted',
    );
    expect(text.choices).toContain('the answer says how many, apart from security records');
    const { security: _, ...categories } = presets.classic.categories;
    const plain = definePolicy({ ...presets.classic, name: 'no-security', categories });
    const without = sections(noticeDocument(plain, OPTIONS));
    expect(without.choices).not.toContain('Security records');
    expect(without.choices).toContain('the answer says how many.');
  });

  it('describes a strict policy: nothing optional, nothing to opt out of', () => {
    const text = sections(noticeDocument(presets.strict, OPTIONS));
    expect(text.optional).toBe('The access log does not record any information you send us.');
    expect(text.choices).toContain('there is nothing to opt out of');
    expect(text.security).toContain('Internet addresses are not stored.');
  });

  it('uses a custom prefix and lists recipients', () => {
    const text = sections(
      noticeDocument(presets.gdpr, {
        ...OPTIONS,
        routes: '/legal/',
        recipients: ['Hosting Co. (processor)'],
      }),
    );
    expect(text.choices).toContain('POST /legal/erase');
    expect(text.use).toContain('shared only with:\nHosting Co. (processor)');
  });

  it('validates the policy and the options', () => {
    expect(() => renderNotice({ name: 'x' } as never, OPTIONS)).toThrow(PolicyError);
    expect(() => renderNotice(presets.gdpr, { site: ' ', contact: 'x' })).toThrow(/site/);
    expect(() => renderNotice(presets.gdpr, { site: 'x', contact: '' })).toThrow(/contact/);
  });
});

describe('escaping', () => {
  const hostile = definePolicy({
    ...presets.gdpr,
    name: 'hostile',
    categories: {
      ...presets.gdpr.categories,
      essential: {
        ...presets.gdpr.categories.essential,
        purposes: [
          '<script>alert(1)</script> & "quotes"',
          '[click](javascript:alert(1)) *bold* `tick`',
        ],
        query: { allow: ['<img src=x onerror=alert(1)>'] },
      },
    },
  });
  const options = {
    site: '<b>Shop</b> & "Co"',
    contact: 'javascript:alert(1)',
    recipients: ['<iframe>'],
    updated: '<i>today</i>',
  };

  it('escapes every policy and option string in HTML', () => {
    const html = renderNotice(hostile, { ...options, format: 'html' });
    for (const raw of ['<script', '<img', '<b>', '<iframe', '<i>', 'href="javascript']) {
      expect(html).not.toContain(raw);
    }
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(html).toContain('&lt;b&gt;Shop&lt;/b&gt; &amp; &quot;Co&quot;');
    expect(html).toContain('javascript:alert(1).</p>');
    expect(html.match(/<script/g)).toBeNull();
  });

  it('escapes markup in Markdown, so policy text cannot become links, emphasis or HTML', () => {
    const md = renderNotice(hostile, options);
    expect(md).not.toContain('<script>');
    expect(md).not.toContain('[click](');
    expect(md).toContain('\\[click\\](javascript:alert(1)) \\*bold\\* \\`tick\\`');
    expect(md).toContain('\\<b\\>Shop\\</b\\>');
    // Only an unescaped `](` would start a link destination.
    expect(md).not.toMatch(/[^\\]\]\(<?javascript:/);
  });
});

describe('the record of processing (GDPR Art. 30)', () => {
  const options = { controller: 'Example Ltd', contact: 'dpo@shop.example', dpo: 'Jane Doe' };

  it('lists each category with its data, purposes, basis, time limit and source', () => {
    const record = processingRecord(presets.gdpr, options);
    expect(record.policy).toBe('gdpr@1');
    expect(record.controller).toEqual({
      name: 'Example Ltd',
      contact: 'dpo@shop.example',
      dpo: 'Jane Doe',
    });
    expect(record.activities.map((a) => [a.category, a.retention, a.legalBasis])).toEqual([
      ['client', 'P6M', 'legitimate-interests'],
      ['essential', 'P13M', 'legitimate-interests'],
      ['nonessential', 'P13M', 'consent'],
      ['optional', 'P6M', 'consent'],
      ['security', 'P1Y', 'legitimate-interests'],
    ]);
    expect(record.activities[0]!.retentionText).toBe('6 months');
    expect(record.activities[3]!.data).toEqual(['your name', 'your e-mail address']);
    expect(record.cookies.map((c) => [c.names[0], c.lifetime])).toEqual([
      ['pl_vid', '13 months from your first visit; later visits do not extend it'],
      ['pl_choice', '13 months'],
    ]);
    expect(record.recipients).toEqual([]);
    expect(record.securityMeasures.length).toBeGreaterThan(3);
  });

  it('renders as JSON and as Markdown', () => {
    const json = JSON.parse(
      renderProcessingRecord(presets.classic, { ...options, format: 'json' }),
    );
    expect(
      json.activities.every(
        (a: { retentionText: string }) =>
          a.retentionText === 'indefinitely: there is no time limit',
      ),
    ).toBe(true);
    const md = renderProcessingRecord(presets.gdpr, {
      ...options,
      controller: 'Example *Ltd*',
      transfers: ['USA (SCC)'],
    });
    expect(md).toMatch(/^# Record of processing activities \(GDPR Art\. 30\)/);
    expect(md).toContain('- Name: Example \\*Ltd\\*');
    expect(md).toContain('## Transfers to third countries\n\n- USA (SCC)');
    expect(md).toContain('## Recipients\n\nNone.');
    expect(md).toContain('- Time limit for erasure: 13 months');
  });

  it('requires the controller and its contact', () => {
    expect(() => processingRecord(presets.gdpr, { controller: '', contact: 'x' })).toThrow(
      /controller/,
    );
  });
});
