import type { Application } from 'express';
import { metaOf, type RouteMeta } from './route-meta.ts';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

interface Layer {
  route?: Route;
  handle?: { stack?: Layer[] };
  rawPath?: unknown;
}

/** An express 5 (router 2) route: its path, methods and middleware list. */
export interface Route {
  path: string | string[];
  methods: Record<string, boolean>;
  stack: { handle: unknown; method?: string }[];
}

export interface WalkedRoute {
  method: HttpMethod;
  /** OpenAPI form: `/api/instances/{id}`. */
  path: string;
  /** What the route's middleware list says about it, in list order. */
  meta: RouteMeta[];
  /** The express route itself. */
  express: Route;
}

/** `/api/instances/:id` → `/api/instances/{id}`; express 5 wildcards `*name` / `{*name}` too. */
export function toOpenApiPath(path: string): string {
  return path
    .replace(/\{\*([A-Za-z0-9_]+)\}/g, '{$1}')
    .replace(/\*([A-Za-z0-9_]+)/g, '{$1}')
    .replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** The metadata of one route's middleware list (for the method given, when the route has several). */
export function routeMeta(route: Route, method?: string): RouteMeta[] {
  return route.stack
    .filter((layer) => !method || !layer.method || layer.method === method)
    .flatMap((layer) => metaOf(layer.handle));
}

/** Every `METHOD path` the app answers, nested routers included, with its middleware metadata. */
export function walkRoutes(app: Application): WalkedRoute[] {
  const out: WalkedRoute[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const p of paths)
          for (const [method, on] of Object.entries(layer.route.methods))
            if (on && method !== '_all')
              out.push({
                method: method as HttpMethod,
                path: toOpenApiPath(prefix + p),
                meta: routeMeta(layer.route, method),
                express: layer.route,
              });
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return out;
}
