import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { definePolicy, presets, renderNotice } from '../../src/index.js';
import type { Block, Inline, Section } from '../../src/privacy/notice/document.js';
import { noticeDocument } from '../../src/privacy/notice/notice.js';
import { makeApp } from '../helpers/app.js';

const OPTIONS = {
  site: 'Example Shop',
  controller: 'Example Shop Ltd, 1 Example Street, Paris',
  contact: 'privacy@shop.example',
} as const;

const inlineText = (part: Inline): string =>
  typeof part === 'string'
    ? part
    : 'code' in part
      ? part.code
      : 'strong' in part
        ? part.strong
        : part.text;

function blockText(block: Block): string {
  switch (block.kind) {
    case 'p':
      return block.parts.map(inlineText).join('');
    case 'list':
      return block.items.map((item) => item.map(inlineText).join('')).join('\n');
    case 'table':
      return block.rows
        .map((row) => row.map((cell) => cell.map(inlineText).join('')).join(' | '))
        .join('\n');
    case 'form':
      return block.label;
  }
}

function sections(policy: Parameters<typeof noticeDocument>[0], options = OPTIONS) {
  const doc = noticeDocument(policy, options);
  const text = (id: string): string => {
    const section = doc.sections.find((s: Section) => s.id === id);
    return section ? section.blocks.map(blockText).join('\n') : '';
  };
  return { doc, text, all: doc.sections.map((s) => text(s.id)).join('\n') };
}

const RIGHTS = [
  'Access',
  'Rectification',
  'Erasure',
  'Restriction',
  'Portability',
  'Objection',
  'Complaint',
];

describe.each(Object.keys(presets) as (keyof typeof presets)[])('notice of %s', (name) => {
  const policy = presets[name];
  const { text, all } = sections(policy);

  it('names the controller and its contact', () => {
    expect(text('contact')).toContain(
      `The controller responsible for the access log is ${OPTIONS.controller}.`,
    );
    expect(text('contact')).toContain(OPTIONS.contact);
  });

  it('lists every right that applies, and says there are no automated decisions', () => {
    const rights = text('rights');
    for (const right of RIGHTS) expect(rights).toContain(`${right}: `);
    expect(rights).toContain('supervisory authority');
    expect(rights).toMatch(/not used for any decision based solely on automated processing/);
    const byConsent = Object.values(policy.categories).some((c) => c?.basis === 'consent');
    expect(rights.includes('Withdrawal of consent')).toBe(byConsent);
  });

  it('names the recipients: the DNS resolvers exactly when reverse lookups run, and transfers', () => {
    const use = text('use');
    expect(use.includes('DNS resolvers')).toBe(policy.categories.client?.domain === true);
    expect(use).toContain('The access log is not transferred to another country.');
  });

  it('never says the cookie gives no access to personal information', () => {
    expect(all).not.toContain('no access to your personal information');
    if (policy.categories.nonessential?.visitor === 'cookie' && policy.categories.optional) {
      expect(text('cookies')).toContain('links your visits together, and to what you send us');
    }
  });

  it('speaks of a visitor id cookie only where one is set', () => {
    const setsOne = policy.categories.nonessential?.visitor === 'cookie';
    expect(/visitor id cookie/.test(all)).toBe(setsOne);
  });

  it(`carries the CCPA notice at collection ${name === 'ccpa' ? 'with each element' : 'only for ccpa'}`, () => {
    const ccpa = text('ccpa');
    if (name !== 'ccpa') {
      expect(ccpa).toBe('');
      return;
    }
    // Categories, purposes and retention, per category.
    for (const label of [
      'Client information',
      'Essential technical information',
      'Nonessential technical information',
      'Optional information',
    ]) {
      expect(ccpa).toContain(label);
    }
    expect(ccpa).toContain('used to route the requested page to your computer');
    expect(ccpa).toContain('Kept for 1 year');
    expect(ccpa).toContain('we do not sell your personal information and do not share it');
    expect(ccpa).toContain('to know what personal information');
    expect(ccpa).toContain('to delete personal information');
    expect(ccpa).toContain('to correct inaccurate personal information');
    expect(ccpa).toContain('to opt out of sale or sharing');
    expect(ccpa).toContain('to limit the use and disclosure of sensitive personal information');
    expect(ccpa).toContain('not to be discriminated against');
    expect(ccpa).toMatch(/How to make a request: write to privacy@shop\.example/);
  });
});

describe('notice details', () => {
  it('shows the DPO where given, from the options or the policy', () => {
    expect(
      sections(presets.gdpr, {
        ...OPTIONS,
        dpo: 'Dana Officer, dpo@shop.example',
      } as typeof OPTIONS).text('contact'),
    ).toContain('Our data protection officer: Dana Officer, dpo@shop.example.');
    const policy = definePolicy({
      ...presets.gdpr,
      name: 'with-dpo',
      notice: { dpo: 'dpo@x.example' },
    });
    expect(sections(policy).text('contact')).toContain(
      'Our data protection officer: dpo@x.example.',
    );
    expect(sections(presets.gdpr).text('contact')).not.toContain('data protection officer');
  });

  it('lists declared transfers instead of saying there are none', () => {
    const policy = definePolicy({
      ...presets.gdpr,
      name: 'abroad',
      notice: {
        transfers: ['Hosting in the United States, under the EU-US Data Privacy Framework'],
      },
    });
    const use = sections(policy).text('use');
    expect(use).toContain('Hosting in the United States, under the EU-US Data Privacy Framework');
    expect(use).not.toContain('not transferred');
  });

  it('escapes the controller and the transfers it is given', () => {
    const policy = definePolicy({
      ...presets.gdpr,
      name: 'hostile',
      notice: {
        controller: '<script>alert(1)</script>',
        transfers: ['<img src=x onerror=alert(2)>'],
      },
    });
    const html = renderNotice(policy, { site: 'Shop', contact: 'a@b.example', format: 'html' });
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;');
  });
});

describe('the router notice', () => {
  it('warns once, with a stable code, when it serves a notice without a controller', async () => {
    const { app, log, logger } = makeApp({ warnings: true });
    await request(app).get('/privacy/notice').expect(200);
    await request(app).get('/privacy/notice?format=markdown').expect(200);
    await log.close();
    expect(logger.codes().filter((c) => c === 'WRN_NOTICE_WITHOUT_CONTROLLER')).toHaveLength(1);
  });

  it('does not warn when the controller and contact are configured, and names them', async () => {
    const { log, logger } = makeApp({ warnings: true });
    const express = (await import('express')).default;
    const site = express()
      .use(log)
      .use(log.router({ notice: { controller: 'Shop Ltd', contact: 'privacy@shop.example' } }));
    const res = await request(site).get('/privacy/notice?format=markdown').expect(200);
    await log.close();
    expect(res.text).toContain('The controller responsible for the access log is Shop Ltd.');
    expect(logger.codes()).not.toContain('WRN_NOTICE_WITHOUT_CONTROLLER');
  });
});
