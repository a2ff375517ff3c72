// The security category's built-in attack detectors, as a policy writes them and as validation
// leaves them. Checked against the zod schema in schema-check.ts.

/** A marker detector: on, off, or on with how many distinct markers flag a request. */
export type MarkerDetectorInput = boolean | { threshold?: number | undefined };

/** A burst detector: how many events from one /24 or /48 network within `window` flag a request. */
export type BurstDetectorInput =
  | boolean
  | {
      /** Events from one network that flag a request. */
      threshold?: number | undefined;
      /** An ISO 8601 duration from `PT1S` to `P1D`. Default `PT1M`. */
      window?: string | undefined;
    };

/** Extra secret and admin paths, and whether the site runs WordPress. */
export interface SensitivePathsInput {
  /** Extra paths (each starting with `/`), matched at a segment boundary anywhere in the path. */
  paths?: string[] | undefined;
  /** The site runs WordPress: its login and admin paths are ordinary requests. Default false. */
  wordpress?: boolean | undefined;
}

/** Extra attack-tool User-Agent fragments. */
export interface AttackToolsInput {
  /** Extra User-Agent fragments (3 to 64 characters), matched case-insensitively. */
  agents?: string[] | undefined;
}

/**
 * The built-in detectors of the security category. Each one is on unless set to `false`; each
 * flags a request with a stable reason code.
 */
export interface DetectInput {
  /** `../` in the path or query, plain, percent-encoded, double-encoded or overlong UTF-8. */
  traversal?: MarkerDetectorInput | undefined;
  /** SQL-injection markers (`union select`, `' or 1=1`, `sleep(`) in the path or query. */
  sqlInjection?: MarkerDetectorInput | undefined;
  /** Script-injection markers (`<script`, `javascript:`, `onerror=`) in the path or query. */
  scriptInjection?: MarkerDetectorInput | undefined;
  /** Requests for well-known secret and admin paths (`/.env`, `/.git/config`, `/wp-login.php`). */
  sensitivePaths?: boolean | SensitivePathsInput | undefined;
  /** Known attack tools by User-Agent (sqlmap, nikto, nmap, masscan, zgrab, ...). */
  attackTools?: boolean | AttackToolsInput | undefined;
  /** Bursts of 401 and 403 answers to one network; default threshold 10 within a minute. */
  authFailures?: BurstDetectorInput | undefined;
  /** Bursts of 404 answers to one network; default threshold 50 within a minute. */
  notFound?: BurstDetectorInput | undefined;
  /** Networks whose bursts are counted at once; the least recently seen is forgotten first. */
  networks?: number | undefined;
}

/** {@link DetectInput} after validation, with every default filled in. */
export interface DetectSettings {
  /** See {@link DetectInput.traversal}. */
  traversal: boolean | { threshold: number };
  /** See {@link DetectInput.sqlInjection}. */
  sqlInjection: boolean | { threshold: number };
  /** See {@link DetectInput.scriptInjection}. */
  scriptInjection: boolean | { threshold: number };
  /** See {@link DetectInput.sensitivePaths}. */
  sensitivePaths: boolean | { paths: string[]; wordpress: boolean };
  /** See {@link DetectInput.attackTools}. */
  attackTools: boolean | { agents: string[] };
  /** See {@link DetectInput.authFailures}. */
  authFailures: boolean | { threshold: number; window: string };
  /** See {@link DetectInput.notFound}. */
  notFound: boolean | { threshold: number; window: string };
  /** See {@link DetectInput.networks}. Default 10 000. */
  networks: number;
}
