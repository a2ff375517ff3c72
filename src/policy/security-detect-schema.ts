import { parseDuration } from './duration.js';
import { lazily, type ZodNamespace } from './zod.js';

function buildDetectSchema(z: ZodNamespace) {
  const windowSchema = z.string().refine((v) => {
    const ms = parseDuration(v);
    return ms !== undefined && ms > 0 && ms <= 86_400_000;
  }, "must be an ISO 8601 duration from 'PT1S' to 'P1D', e.g. 'PT1M'");

  const threshold = z.number().int().min(1).max(1_000_000);

  /** A marker detector: on (default), off, or on with how many distinct markers flag a request. */
  const markerSchema = z
    .union([z.boolean(), z.strictObject({ threshold: threshold.default(1) })])
    .default(true);

  /** A burst detector: how many events from one /24 or /48 network within `window` flag a request. */
  function burstSchema(defaultThreshold: number) {
    return z
      .union([
        z.boolean(),
        z.strictObject({
          threshold: threshold.default(defaultThreshold),
          window: windowSchema.default('PT1M'),
        }),
      ])
      .default(true);
  }

  const pathEntry = z
    .string()
    .min(2)
    .max(256)
    .refine((v) => v.startsWith('/'), "must start with '/', e.g. '/.env'");

  /**
   * The built-in detectors of the security category. Each one is on unless set to `false`; each
   * flags a request with a stable reason code (see `DETECTOR_REASONS`).
   */
  const detectSchema = z
    .strictObject({
      /** `../` in the path or query, plain, percent-encoded, double-encoded or overlong UTF-8. */
      traversal: markerSchema,
      /** SQL-injection markers (`union select`, `' or 1=1`, `sleep(`) in the path or query. */
      sqlInjection: markerSchema,
      /** Script-injection markers (`<script`, `javascript:`, `onerror=`) in the path or query. */
      scriptInjection: markerSchema,
      /** Requests for well-known secret and admin paths (`/.env`, `/.git/config`, `/wp-login.php`). */
      sensitivePaths: z
        .union([
          z.boolean(),
          z.strictObject({
            /** Extra paths, matched at a segment boundary anywhere in the path. */
            paths: z.array(pathEntry).max(1000).default([]),
            /** The site runs WordPress: its login and admin paths are ordinary requests. */
            wordpress: z.boolean().default(false),
          }),
        ])
        .default(true),
      /** Known attack tools by User-Agent (sqlmap, nikto, nmap, masscan, zgrab, ...). */
      attackTools: z
        .union([
          z.boolean(),
          z.strictObject({
            /** Extra User-Agent fragments, matched case-insensitively. */
            agents: z.array(z.string().min(3).max(64)).max(1000).default([]),
          }),
        ])
        .default(true),
      /** Bursts of 401 and 403 answers to one network. */
      authFailures: burstSchema(10),
      /** Bursts of 404 answers to one network. */
      notFound: burstSchema(50),
      /** Networks whose bursts are counted at once; the least recently seen is forgotten first. */
      networks: z.number().int().min(1).max(1_000_000).default(10_000),
    })
    .prefault({});
  return detectSchema;
}

/** The built-in detectors' settings as a zod schema, built on first use. */
/** @internal */
export const detectSchema = lazily(buildDetectSchema);

export type { DetectSettings } from '../types/detect.js';
