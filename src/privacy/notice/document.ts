/**
 * A small document model for the generated texts (the notice, the record of processing) and its
 * two renderings. Content is built once as data and every string is escaped here, at the edge:
 * policy text, site names and contacts come from configuration and must never become markup.
 */

/** A run of text: plain, a link, inline code, or emphasis. */
export type Inline =
  | string
  | { readonly link: string; readonly text: string }
  | { readonly code: string }
  | { readonly strong: string };

/**
 * A block: a paragraph, a list, a table, or a form that sends a POST request (a button in HTML;
 * in Markdown, which has no forms, a sentence naming the address).
 */
export type Block =
  | { readonly kind: 'p'; readonly parts: readonly Inline[] }
  | { readonly kind: 'list'; readonly items: readonly (readonly Inline[])[] }
  | {
      readonly kind: 'table';
      readonly head: readonly string[];
      readonly rows: readonly (readonly Inline[])[][];
    }
  | { readonly kind: 'form'; readonly action: string; readonly label: string };

/** A titled part of a document. */
export interface Section {
  /** Stable anchor, also used by tests to find a section. */
  readonly id: string;
  readonly title: string;
  readonly blocks: readonly Block[];
}

/** A whole generated text: a title, an opening, and its sections. */
export interface Document {
  readonly title: string;
  readonly intro: readonly Block[];
  readonly sections: readonly Section[];
}

/** A paragraph from its parts. */
export const p = (...parts: Inline[]): Block => ({ kind: 'p', parts });

/** A list whose items are each one run of inline parts. */
export const list = (items: readonly (Inline | readonly Inline[])[]): Block => ({
  kind: 'list',
  items: items.map((item) => (Array.isArray(item) ? item : [item as Inline])),
});

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text safe inside HTML elements and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * Text that Markdown shows as written: every character that can open inline markup anywhere in a
 * line is backslash-escaped (CommonMark allows it before any ASCII punctuation), `&` only where it
 * would start an entity, and line breaks become spaces so that a policy string cannot start a
 * block of its own. What only matters at the start of a line is {@link guardLineStart}'s job, so
 * that ordinary words like "e-mail" stay readable in the source.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n\u2028\u2029]+/g, ' ')
    .replace(/[\\`*_[\]<>|~]/g, (c) => `\\${c}`)
    .replace(/&(?=#?\w+;)/g, '\\&');
}

/** Escape what would make a line a heading, a list item or a quote. */
function guardLineStart(line: string): string {
  return line.replace(/^([#+=>-])/, '\\$1').replace(/^(\d+)([.)])/, '$1\\$2');
}

/** Only web, mail and same-site links are rendered as links; anything else stays text. */
function safeHref(href: string): string | undefined {
  if (/^#[\w-]+$/.test(href)) return href;
  if (href.startsWith('/') && !href.startsWith('//')) return href;
  return /^(https?:\/\/|mailto:)[^\s<>"'`]+$/i.test(href) ? href : undefined;
}

function inlineHtml(part: Inline): string {
  if (typeof part === 'string') return escapeHtml(part);
  if ('code' in part) return `<code>${escapeHtml(part.code)}</code>`;
  if ('strong' in part) return `<strong>${escapeHtml(part.strong)}</strong>`;
  const href = safeHref(part.link);
  if (href === undefined) return escapeHtml(part.text);
  return `<a href="${escapeHtml(href)}">${escapeHtml(part.text)}</a>`;
}

function inlineMarkdown(part: Inline): string {
  if (typeof part === 'string') return escapeMarkdown(part);
  if ('code' in part) {
    const code = part.code.replace(/[\r\n]+/g, ' ');
    const fence = '`'.repeat(
      (code.match(/`+/g) ?? []).reduce((n, run) => Math.max(n, run.length), 0) + 1,
    );
    return `${fence}${code.startsWith('`') || code.endsWith('`') ? ` ${code} ` : code}${fence}`;
  }
  if ('strong' in part) return `**${escapeMarkdown(part.strong)}**`;
  const href = safeHref(part.link);
  if (href === undefined) return escapeMarkdown(part.text);
  // Angle brackets let the destination hold any character but these two, which safeHref excludes.
  return `[${escapeMarkdown(part.text)}](<${href}>)`;
}

const joinHtml = (parts: readonly Inline[]) => parts.map(inlineHtml).join('');
const joinMarkdown = (parts: readonly Inline[]) => parts.map(inlineMarkdown).join('');

function blockHtml(block: Block): string {
  switch (block.kind) {
    case 'p':
      return `<p>${joinHtml(block.parts)}</p>`;
    case 'list':
      return `<ul>\n${block.items.map((item) => `  <li>${joinHtml(item)}</li>`).join('\n')}\n</ul>`;
    case 'table': {
      const head = block.head.map((cell) => `<th scope="col">${escapeHtml(cell)}</th>`).join('');
      const rows = block.rows
        .map((row) => `    <tr>${row.map((cell) => `<td>${joinHtml(cell)}</td>`).join('')}</tr>`)
        .join('\n');
      return `<table>\n  <thead><tr>${head}</tr></thead>\n  <tbody>\n${rows}\n  </tbody>\n</table>`;
    }
    case 'form':
      return `<form method="post" action="${escapeHtml(block.action)}"><button type="submit">${escapeHtml(block.label)}</button></form>`;
  }
}

function blockMarkdown(block: Block): string {
  switch (block.kind) {
    case 'p':
      return guardLineStart(joinMarkdown(block.parts));
    case 'list':
      return block.items.map((item) => `- ${guardLineStart(joinMarkdown(item))}`).join('\n');
    case 'table': {
      // `|` is already escaped by escapeMarkdown, which is what GitHub tables need in a cell.
      const head = `| ${block.head.map(escapeMarkdown).join(' | ')} |`;
      const rule = `|${block.head.map(() => ' --- |').join('')}`;
      const rows = block.rows.map((row) => `| ${row.map(joinMarkdown).join(' | ')} |`);
      return [head, rule, ...rows].join('\n');
    }
    case 'form':
      return `${escapeMarkdown(block.label)}: send a POST request to ${inlineMarkdown({ code: block.action })} (the button on the web version of this notice does it).`;
  }
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top}
form{display:inline-block;margin:.25rem .5rem .25rem 0}button{font:inherit;padding:.3rem .8rem}`;

/** A complete HTML page (UTF-8, no script, inline style only). */
export function renderHtml(doc: Document, lang = 'en'): string {
  const body = [
    `<h1>${escapeHtml(doc.title)}</h1>`,
    ...doc.intro.map(blockHtml),
    ...doc.sections.map((section) =>
      [
        `<section id="${escapeHtml(section.id)}">`,
        `<h2>${escapeHtml(section.title)}</h2>`,
        ...section.blocks.map(blockHtml),
        '</section>',
      ].join('\n'),
    ),
  ].join('\n');
  return `<!doctype html>
<html lang="${escapeHtml(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** The same document as CommonMark with GitHub-style tables. */
export function renderMarkdown(doc: Document): string {
  const parts = [`# ${escapeMarkdown(doc.title)}`, ...doc.intro.map(blockMarkdown)];
  for (const section of doc.sections) {
    parts.push(`## ${escapeMarkdown(section.title)}`, ...section.blocks.map(blockMarkdown));
  }
  return `${parts.join('\n\n')}\n`;
}
