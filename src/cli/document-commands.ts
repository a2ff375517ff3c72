import { renderNotice } from '../privacy/notice/notice.js';
import { renderProcessingRecord } from '../privacy/notice/processing-record.js';
import { noPositionals, parseCommand } from './args.js';
import type { CommandContext } from './context.js';
import { UsageError } from './errors.js';
import { loadPolicy } from './policy.js';

function required(command: string, value: string | undefined, option: string, what: string) {
  if (value === undefined || value.trim() === '') {
    throw new UsageError(`${command}: ${option} is required (${what})`);
  }
  return value;
}

function oneOf<T extends string>(
  command: string,
  value: string | undefined,
  allowed: readonly T[],
) {
  if (value === undefined) return allowed[0]!;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${command}: --format must be ${allowed.join(' or ')}`);
  }
  return value as T;
}

/** `notice --policy`: the visitor-facing privacy notice, Markdown by default. */
export async function noticeCommand(context: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('notice', args, {
    policy: { type: 'string', short: 'p' },
    site: { type: 'string' },
    contact: { type: 'string' },
    format: { type: 'string', short: 'f' },
    routes: { type: 'string' },
    'no-routes': { type: 'boolean' },
    recipient: { type: 'string', multiple: true },
    updated: { type: 'string' },
  });
  noPositionals('notice', positionals);
  const format = oneOf('notice', values.format, ['markdown', 'html'] as const);
  const site = required('notice', values.site, '--site', 'the site as visitors know it');
  const contact = required('notice', values.contact, '--contact', 'an e-mail or web address');
  const policy = await loadPolicy(values.policy);
  const text = renderNotice(policy, {
    site,
    contact,
    format,
    routes: values['no-routes'] ? false : (values.routes ?? '/privacy'),
    ...(values.recipient ? { recipients: values.recipient } : {}),
    ...(values.updated ? { updated: values.updated } : {}),
  });
  context.io.stdout.write(text);
  return 0;
}

/** `processing-record --policy`: the GDPR Art. 30 record of processing, Markdown or JSON. */
export async function processingRecordCommand(
  context: CommandContext,
  args: string[],
): Promise<number> {
  const command = 'processing-record';
  const { values, positionals } = parseCommand(command, args, {
    policy: { type: 'string', short: 'p' },
    controller: { type: 'string' },
    contact: { type: 'string' },
    dpo: { type: 'string' },
    representative: { type: 'string' },
    site: { type: 'string' },
    recipient: { type: 'string', multiple: true },
    transfer: { type: 'string', multiple: true },
    format: { type: 'string', short: 'f' },
  });
  noPositionals(command, positionals);
  const format = oneOf(command, values.format, ['markdown', 'json'] as const);
  const controller = required(command, values.controller, '--controller', 'who is responsible');
  const contact = required(command, values.contact, '--contact', "the controller's contact");
  const policy = await loadPolicy(values.policy);
  const text = renderProcessingRecord(policy, {
    controller,
    contact,
    format,
    ...(values.dpo ? { dpo: values.dpo } : {}),
    ...(values.representative ? { representative: values.representative } : {}),
    ...(values.site ? { site: values.site } : {}),
    ...(values.recipient ? { recipients: values.recipient } : {}),
    ...(values.transfer ? { transfers: values.transfer } : {}),
  });
  context.io.stdout.write(text);
  return 0;
}
