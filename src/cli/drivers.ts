import { isMissingPackage, missingPackageMessage } from '../stores/missing-package.js';
import { CliError } from './errors.js';

/**
 * Load an optional package (a database driver), or fail with one sentence naming the command that
 * installs it. Any other failure (a native module built for another Node, say) keeps its own text.
 */
export async function loadOptional<T>(
  importer: () => Promise<T>,
  name: string,
  who: string,
): Promise<T> {
  try {
    return await importer();
  } catch (err) {
    if (isMissingPackage(err, name) || (err as { package?: unknown }).package === name) {
      throw new CliError(missingPackageMessage(who, name));
    }
    throw new CliError(
      `cannot load ${name} for ${who}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
