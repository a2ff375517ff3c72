import { definePolicy } from '../../policy/define.js';
import type { PolicyInput } from '../../policy/schema.js';
import type { Category } from '../../record.js';
import { type Block, list, p, renderMarkdown, type Section } from './document.js';
import {
  BASIS_TEXT,
  CATEGORY_LABELS,
  CATEGORY_ORDER,
  clientItems,
  cookieRows,
  essentialItems,
  nonessentialItems,
  optionalFieldText,
  retentionText,
  securityMeasures,
  securityText,
} from './policy-text.js';

/** Options of {@link processingRecord} and {@link renderProcessingRecord}. */
export interface ProcessingRecordOptions {
  /** The controller: the organisation responsible for the site (Art. 30(1)(a)). */
  controller: string;
  /** The controller's contact details. */
  contact: string;
  /** The data protection officer's contact, where there is one. */
  dpo?: string;
  /** The representative in the Union (Art. 27), where there is one. */
  representative?: string;
  /** The site or service the access log belongs to. Default: the policy's name. */
  site?: string;
  /** Recipients of the data (Art. 30(1)(d)). Default: none. */
  recipients?: readonly string[];
  /** Transfers to third countries and their safeguards (Art. 30(1)(e)). Default: none. */
  transfers?: readonly string[];
  /** Whether the privacy routes are mounted (they set the choice cookie). Default true. */
  routes?: boolean;
}

/** One processing activity: a category of data with its purposes, basis and time limit. */
export interface ProcessingActivity {
  category: Category;
  name: string;
  /** Categories of personal data (Art. 30(1)(c)). */
  data: string[];
  /** Purposes (Art. 30(1)(b)). */
  purposes: string[];
  /** The Art. 6(1) basis, as in the policy. */
  legalBasis: string;
  legalBasisText: string;
  /** As in the policy: an ISO 8601 duration or `'forever'`. */
  retention: string;
  /** Time limit for erasure in words (Art. 30(1)(f)). */
  retentionText: string;
  /** Where the data comes from. */
  source: string;
}

/** A record of processing activities (GDPR Art. 30(1)) for the access log. */
export interface ProcessingRecord {
  controller: { name: string; contact: string; dpo?: string; representative?: string };
  /** The processing this record describes. */
  processing: string;
  /** `name@version` of the policy it was generated from. */
  policy: string;
  /** Categories of data subjects (Art. 30(1)(c)). */
  dataSubjects: string[];
  activities: ProcessingActivity[];
  cookies: { names: string[]; purpose: string; lifetime: string; firstParty: boolean }[];
  recipients: string[];
  transfers: string[];
  /** General description of technical and organisational measures (Art. 30(1)(g), Art. 32). */
  securityMeasures: string[];
}

/** Build the record of processing for the access log of a policy. Throws for an invalid policy. */
export function processingRecord(
  input: PolicyInput,
  options: ProcessingRecordOptions,
): ProcessingRecord {
  const policy = definePolicy(input, 'policy');
  for (const key of ['controller', 'contact'] as const) {
    if (typeof options?.[key] !== 'string' || options[key].trim() === '') {
      throw new TypeError(`processingRecord: options.${key} is required`);
    }
  }
  const data: Record<Category, string[]> = {
    client: clientItems(policy),
    essential: essentialItems(policy),
    nonessential: nonessentialItems(policy),
    optional: (policy.categories.optional?.fields ?? []).map(optionalFieldText),
    security:
      securityText(policy) === undefined
        ? []
        : ['the whole access record of a request identified as an attack'],
  };
  const sources: Record<Category, string> = {
    client: 'collected automatically from the network connection',
    essential: "collected automatically from the visitor's request",
    nonessential: "collected automatically from the visitor's browser",
    optional: 'given deliberately by the visitor',
    security: 'access records of requests identified as attacks',
  };
  const activities: ProcessingActivity[] = [];
  for (const category of CATEGORY_ORDER) {
    const declared = policy.categories[category];
    if (!declared) continue;
    activities.push({
      category,
      name: CATEGORY_LABELS[category],
      data: data[category],
      purposes: [...declared.purposes],
      legalBasis: declared.basis,
      legalBasisText: BASIS_TEXT[declared.basis],
      retention: declared.retention,
      retentionText: retentionText(declared.retention),
      source: sources[category],
    });
  }
  const controller: ProcessingRecord['controller'] = {
    name: options.controller.trim(),
    contact: options.contact.trim(),
  };
  if (options.dpo !== undefined) controller.dpo = options.dpo;
  if (options.representative !== undefined) controller.representative = options.representative;
  return {
    controller,
    processing: `Access logging of ${options.site ?? policy.name}`,
    policy: `${policy.name}@${policy.version}`,
    dataSubjects: ['Visitors of the web site'],
    activities,
    cookies: cookieRows(policy, options.routes ?? true),
    recipients: [...(options.recipients ?? [])],
    transfers: [...(options.transfers ?? [])],
    securityMeasures: securityMeasures(policy),
  };
}

/** Options of {@link renderProcessingRecord}. */
export interface RenderProcessingRecordOptions extends ProcessingRecordOptions {
  /** Default `'markdown'`. */
  format?: 'json' | 'markdown';
}

/** The record of processing as pretty-printed JSON or as Markdown. */
export function renderProcessingRecord(
  policy: PolicyInput,
  options: RenderProcessingRecordOptions,
): string {
  const record = processingRecord(policy, options);
  if (options.format === 'json') return `${JSON.stringify(record, null, 2)}\n`;
  const none = (items: readonly string[]): Block =>
    items.length === 0 ? p('None.') : list([...items]);
  const sections: Section[] = [
    {
      id: 'controller',
      title: 'Controller',
      blocks: [
        list([
          `Name: ${record.controller.name}`,
          `Contact: ${record.controller.contact}`,
          ...(record.controller.dpo ? [`Data protection officer: ${record.controller.dpo}`] : []),
          ...(record.controller.representative
            ? [`Representative: ${record.controller.representative}`]
            : []),
        ]),
      ],
    },
    {
      id: 'processing',
      title: 'Processing',
      blocks: [
        p(`${record.processing}, governed by the access-log policy ${record.policy}.`),
        p(`Data subjects: ${record.dataSubjects.join('; ')}.`),
      ],
    },
    ...record.activities.map(
      (activity): Section => ({
        id: activity.category,
        title: activity.name,
        blocks: [
          list([
            `Purposes: ${activity.purposes.join('; ')}`,
            `Legal basis: ${activity.legalBasisText}`,
            `Time limit for erasure: ${activity.retentionText}`,
            `Source: ${activity.source}`,
          ]),
          p('Personal data:'),
          none(activity.data),
        ],
      }),
    ),
    {
      id: 'cookies',
      title: 'Cookies',
      blocks: [
        {
          kind: 'table',
          head: ['Name', 'Purpose', 'Lifetime', 'First party'],
          rows: record.cookies.map((cookie) => [
            [cookie.names.join(', ')],
            [cookie.purpose],
            [cookie.lifetime],
            [cookie.firstParty ? 'Yes' : 'No'],
          ]),
        },
      ],
    },
    { id: 'recipients', title: 'Recipients', blocks: [none(record.recipients)] },
    { id: 'transfers', title: 'Transfers to third countries', blocks: [none(record.transfers)] },
    {
      id: 'security',
      title: 'Technical and organisational security measures',
      blocks: [list(record.securityMeasures)],
    },
  ];
  return renderMarkdown({
    title: `Record of processing activities (GDPR Art. 30): ${record.processing}`,
    intro: [],
    sections,
  });
}
