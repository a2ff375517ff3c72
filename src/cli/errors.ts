/** Exit codes of the command line: success, a failure while running, a mistake in the command. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A mistake in the command itself (unknown option, missing value, malformed URL): exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure while running (a store that cannot be opened, a file that cannot be read): exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** One line of text: an error message reduced to its first line. */
export function oneLine(message: string): string {
  return message.split(/\r?\n/, 1)[0]!.trim();
}
