/**
 * Serves the web console (issue 4 §8; docs/console.md): the few static files of the built console,
 * read once at start, under `/console/`, with `/` redirecting there. Only files that were there at start
 * are served (no path from the URL ever reaches the filesystem). Every answer carries a strict
 * Content-Security-Policy (no inline script or style, nothing from other origins) and an ETag, so a
 * browser revalidates (`no-cache`) and gets `304` while the file is unchanged.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';

/** The console's Content-Security-Policy: its own scripts, styles and API only. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
};

interface Asset {
  readonly type: string;
  readonly body: Buffer;
  readonly etag: string;
}

/** Every servable file under `dir`, keyed by its URL path below `/console/`. */
function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const file = join(d, entry);
      if (statSync(file).isDirectory()) walk(file);
      else {
        const type = TYPES[extname(entry)];
        if (type === undefined) continue;
        const body = readFileSync(file);
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
        assets.set(relative(dir, file).split(sep).join('/'), { type, body, etag });
      }
    }
  };
  try {
    walk(dir);
  } catch {
    // no built console (e.g. running from sources): the API still works; `/console/` answers 404
  }
  return assets;
}

/** Registers `/` and `/console/*` for the built console in `dir`. */
export function registerConsole(app: FastifyInstance, dir: string): void {
  const assets = loadAssets(dir);
  app.get('/', async (_req, reply) => reply.redirect('/console/', 302));
  app.get('/console', async (_req, reply) => reply.redirect('/console/', 301));
  app.get<{ Params: { '*': string } }>('/console/*', async (req, reply) => {
    const path = req.params['*'] === '' ? 'index.html' : req.params['*'];
    const asset = assets.get(path);
    reply
      .header('content-security-policy', CONSOLE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY');
    if (!asset) {
      return reply
        .code(404)
        .send({ error: { code: 'AOS_NOT_FOUND', message: `no console file \`${path}\`` } });
    }
    reply.header('cache-control', 'no-cache').header('etag', asset.etag);
    if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  });
}
