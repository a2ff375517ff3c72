import { createRequire } from 'node:module';

/**
 * `require` for the CommonJS packages the package root loads (cookie, cookie-parser,
 * cookie-signature, on-headers, ipaddr.js). An ES module `import` of a CommonJS package makes Node
 * scan its source for named exports first (cjs-module-lexer), and that scan cost more than the
 * packages themselves: 0.39 billion instructions by import against 0.06 by `require`, of about 0.6
 * for the whole `import('express-privacy-log')` (docs/performance.md, "Import"). `require` returns
 * the same `module.exports` the import's default export is.
 */
export const requireCommonJs = createRequire(import.meta.url);
