/**
 * Whether `err` says that package `name` itself cannot be found, as opposed to a failure inside
 * it (a native module built for another Node, a syntax error): only the first is fixed by
 * installing it. Covers `import()` (`ERR_MODULE_NOT_FOUND`) and `require()` (`MODULE_NOT_FOUND`).
 */
export function isMissingPackage(err: unknown, name: string): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  return (
    typeof message === 'string' && (message.includes(`'${name}'`) || message.includes(`"${name}"`))
  );
}

/** The sentence for a missing optional package: who needs it and the command that installs it. */
export function missingPackageMessage(who: string, name: string): string {
  return `${who} needs the ${name} package, which is not installed: run "npm install ${name}"`;
}
