/** A fenced code block of a Markdown file. */
export interface CodeBlock {
  /** The first word of the info string (`js`, `ts`, `sh`), lower case; `''` when there is none. */
  lang: string;
  /** The other words of the info string, such as `fragment`. */
  flags: string[];
  /** 1-based line of the opening fence, to name the block in a test. */
  line: number;
  code: string;
}

// An opening fence: up to three spaces, three or more backticks or tildes, then the info string.
const OPEN = /^ {0,3}(`{3,}|~{3,})(.*)$/;

/**
 * The fenced code blocks of a Markdown text, as CommonMark reads them: a block closes at a fence of
 * the same character at least as long as the opening one; a block left open runs to the end. Only
 * fences are read (the README has no indented code blocks), which is all the checks need.
 */
export function fencedCodeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i] ?? '');
    if (!open) continue;
    const fence = open[1] ?? '```';
    const [lang = '', ...flags] = (open[2] ?? '').trim().split(/\s+/).filter(Boolean);
    const close = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !close.test(lines[j] ?? '')) body.push(lines[j++] ?? '');
    blocks.push({ lang: lang.toLowerCase(), flags, line: i + 1, code: `${body.join('\n')}\n` });
    i = j;
  }
  return blocks;
}
