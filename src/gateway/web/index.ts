// The web chat page at `/`: HTML, one stylesheet, one ES module and an icon, all embedded in the bundle as text (no
// build step for users, no file lookup at run time). The page holds no data, so it and its assets are served without
// authentication; the script calls the native API with the key the user pastes.
import type { HttpApp } from '../http.js';
import type { GatewayContext } from '../types.js';
import { WEB_CSP, hashedPath, makeAsset, sendAsset, type Asset } from './assets.js';
import { CLIENT_APP_JS } from './client-app.js';
import { CLIENT_CORE_JS } from './client-core.js';
import { CLIENT_TURN_JS } from './client-turn.js';
import { CLIENT_VIEWS_JS } from './client-views.js';
import { ICON_SVG } from './icon.js';
import { renderPage } from './page.js';
import { PAGE_CSS } from './style.js';

export { WEB_CSP } from './assets.js';

/** Asset names carry their content hash, so browsers may keep them for good; the page itself is revalidated. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

export interface WebAssets {
  page: Asset;
  files: readonly Asset[];
}

let built: WebAssets | undefined;

/** The page and its assets, built once per process. */
export function webAssets(): WebAssets {
  if (built) return built;
  const js = CLIENT_CORE_JS + CLIENT_VIEWS_JS + CLIENT_TURN_JS + CLIENT_APP_JS;
  const files = [
    makeAsset(hashedPath('app.js', js), 'text/javascript; charset=utf-8', js, IMMUTABLE),
    makeAsset(hashedPath('app.css', PAGE_CSS), 'text/css; charset=utf-8', PAGE_CSS, IMMUTABLE),
    makeAsset(hashedPath('icon.svg', ICON_SVG), 'image/svg+xml', ICON_SVG, IMMUTABLE),
  ] as const;
  const [script, style, icon] = files;
  const html = renderPage({ js: script.path, css: style.path, icon: icon.path });
  const page = makeAsset('/', 'text/html; charset=utf-8', html, REVALIDATE, {
    'content-security-policy': WEB_CSP,
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
  });
  built = { page, files };
  return built;
}

export function registerWebPage(app: HttpApp, _ctx: GatewayContext): void {
  const { page, files } = webAssets();
  app.route('GET', page.path, (ctx) => sendAsset(ctx, page), { auth: false });
  for (const file of files) app.route('GET', file.path, (ctx) => sendAsset(ctx, file), { auth: false });
}
