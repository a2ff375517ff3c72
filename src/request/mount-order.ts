/**
 * Where the middleware sits in the app: routes mounted ahead of it answer their requests before
 * it runs, so those requests are never logged, and nothing fails to say so. Express keeps its
 * stack of layers on the app's router (`app.router` in Express 5, `app._router` in Express 4),
 * each layer with the `handle` it calls and, for a route, its `route`; a nested router is a layer
 * whose handle has a `stack` of its own. The stack is read once, on the first request the
 * middleware sees: the cost is one walk of the app's layers per process.
 */

interface Layer {
  readonly handle?: unknown;
  readonly route?: { readonly path?: unknown } | undefined;
}

/** At most this many route paths are named in the warning: enough to find the mistake. */
const NAMED_ROUTES = 5;

function stackOf(holder: unknown): readonly Layer[] | undefined {
  const stack = (holder as { stack?: unknown } | null | undefined)?.stack;
  return Array.isArray(stack) ? (stack as Layer[]) : undefined;
}

/** The app's top-level router stack, in Express 5 or 4, without creating a router. */
function appStack(app: unknown): readonly Layer[] | undefined {
  if (app === null || (typeof app !== 'object' && typeof app !== 'function')) return undefined;
  // Express 4 makes `_router` lazily; Express 5 has `router`. Read, never call, either.
  const holder = app as { _router?: unknown; router?: unknown };
  return stackOf(holder._router) ?? stackOf(holder.router);
}

/** The route paths a layer answers: its own route, or every route of a router it holds. */
function routesOf(layer: Layer, into: string[], depth = 0): void {
  if (layer.route !== undefined) {
    const path = layer.route.path;
    into.push(typeof path === 'string' ? path : String(path));
    return;
  }
  const nested = stackOf(layer.handle);
  if (nested === undefined || depth > 8) return;
  for (const inner of nested) routesOf(inner, into, depth + 1);
}

/** Collect the routes ahead of `handler`; true once it was found in `stack`. */
function walk(stack: readonly Layer[], handler: unknown, ahead: string[], depth: number): boolean {
  const before: string[] = [];
  for (const layer of stack) {
    if (layer.handle === handler) {
      ahead.push(...before);
      return true;
    }
    const nested = stackOf(layer.handle);
    if (nested !== undefined && depth < 8) {
      // The middleware inside a router: what precedes that router precedes it too.
      const inner: string[] = [];
      if (walk(nested, handler, inner, depth + 1)) {
        ahead.push(...before, ...inner);
        return true;
      }
    }
    routesOf(layer, before);
  }
  return false;
}

/**
 * The paths of routes mounted ahead of `handler` in `app` (at most a few), or an empty list when
 * there are none or when `handler` is not found in the stack (wrapped in another function, or
 * mounted some other way): a warning needs certainty, and silence is the safe side.
 */
export function routesAhead(app: unknown, handler: unknown): string[] {
  const stack = appStack(app);
  if (stack === undefined) return [];
  const ahead: string[] = [];
  if (!walk(stack, handler, ahead, 0)) return [];
  return [...new Set(ahead)].slice(0, NAMED_ROUTES);
}
