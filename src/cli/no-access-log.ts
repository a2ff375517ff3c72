import { CliError } from './errors.js';

/**
 * "No access log here": the store a command names exists (or not) but holds no access log. The
 * command line reports it (exit 1) rather than create one: reading must not write, and an empty
 * answer from a mistyped table or prefix would look like "nothing stored".
 */
export function noAccessLog(detail: string): CliError {
  return new CliError(`no access log here: ${detail}`);
}
