/**
 * First half of the page script: storage, the API client and the SSE reader. Kept as source text (no build step for
 * users, one file in the bundle); it must avoid backticks and dollar-brace, which would end or interpolate this
 * template. Served concatenated with the UI half as one ES module.
 */
export const CLIENT_CORE_JS = String.raw`// Swiftlet web chat: a plain ES module talking to the native API of the server that served it.
const KEY_STORE = 'swiftlet.apiKey';
const AGENT_STORE = 'swiftlet.agent';

const store = {
  get(name) {
    try { return localStorage.getItem(name) || ''; } catch { return ''; }
  },
  set(name, value) {
    try {
      if (value) localStorage.setItem(name, value);
      else localStorage.removeItem(name);
    } catch {
      // Storage disabled (private mode, policy): the page still works for this visit.
    }
  },
};

const TITLES_STORE = 'swiftlet.titles';
const TITLES_KEPT = 300;

/**
 * The server titles sessions by their first message, except those stored before it did: for those, this browser
 * remembers the first message of the ones it opened.
 */
const titles = {
  all() {
    try {
      const value = JSON.parse(store.get(TITLES_STORE) || '{}');
      return value && typeof value === 'object' ? value : {};
    } catch {
      return {};
    }
  },
  get(id) {
    return titles.all()[id] || '';
  },
  remember(id, text) {
    const all = titles.all();
    const title = String(text || '').replace(/\s+/g, ' ').trim().slice(0, 80);
    if (!id || !title || all[id]) return;
    all[id] = title;
    const ids = Object.keys(all);
    for (const old of ids.slice(0, Math.max(0, ids.length - TITLES_KEPT))) delete all[old];
    store.set(TITLES_STORE, JSON.stringify(all));
  },
};

class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter || 0;
  }
}

const sessionPath = (id) => '/v1/sessions/' + encodeURIComponent(id);

/** One call to the native API; throws ApiError with the server's code and message. */
async function api(method, path, options = {}) {
  const headers = { accept: options.accept || 'application/json', ...options.headers };
  const key = store.get(KEY_STORE);
  if (key) headers.authorization = 'Bearer ' + key;
  const init = { method, headers, cache: 'no-store' };
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, 'NETWORK', 'Cannot reach the server (' + ((err && err.message) || err) + ').');
  }
  if (!res.ok) throw await readError(res);
  if (options.stream) return res;
  const type = res.headers.get('content-type') || '';
  return res.status !== 204 && type.includes('json') ? res.json() : null;
}

async function readError(res) {
  let code = 'HTTP_' + res.status;
  let message = res.statusText || 'The request failed.';
  try {
    const body = await res.json();
    if (body && body.error) {
      code = body.error.code || code;
      message = body.error.message || message;
    }
  } catch {
    // Not JSON (a proxy's error page): the status line is all there is.
  }
  return new ApiError(res.status, code, message, Number(res.headers.get('retry-after')) || 0);
}

/** Parses one SSE block (the lines between blank lines) into {event, data, id}; comments and heartbeats give null. */
function parseSseBlock(block) {
  let event = 'message';
  let id = '';
  const data = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  return data.length > 0 ? { event, data: data.join('\n'), id } : null;
}

/**
 * Server-sent events from a fetch response body. EventSource cannot POST or send an Authorization header, so the
 * stream is read by hand.
 */
async function* readSse(res) {
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      // A CR at the very end may be the first half of a CRLF split across chunks: keep it for the next round.
      const held = buffer.endsWith('\r') ? '\r' : '';
      let text = buffer.slice(0, buffer.length - held.length).replace(/\r\n?/g, '\n');
      let cut;
      while ((cut = text.indexOf('\n\n')) !== -1) {
        const event = parseSseBlock(text.slice(0, cut));
        text = text.slice(cut + 2);
        if (event) yield event;
      }
      buffer = text + held;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/**
 * The turn events of a streamed turn as {type, id, event}; an error event from the server throws an ApiError. A
 * dropped connection throws something else (a TypeError from the body stream).
 */
async function* turnEvents(res) {
  for await (const { event, data, id } of readSse(res)) {
    let payload;
    try {
      payload = JSON.parse(data);
    } catch {
      continue;
    }
    const type = event !== 'message' ? event : payload && payload.type;
    if (type === 'error') {
      const e = (payload && payload.error) || payload || {};
      throw new ApiError(0, e.code || 'STREAM_ERROR', e.message || 'The server reported an error.');
    }
    if (payload && typeof payload === 'object') yield { type, id, event: payload };
  }
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

/** Pretty JSON when the text is JSON, else the text itself. */
function pretty(text) {
  if (typeof text !== 'string') return JSON.stringify(text, null, 2);
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

const relativeTime = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
function timeAgo(ms) {
  const seconds = Math.round((ms - Date.now()) / 1000);
  const steps = [[60, 'second'], [60, 'minute'], [24, 'hour'], [30, 'day'], [12, 'month']];
  let amount = seconds;
  for (const [size, unit] of steps) {
    if (Math.abs(amount) < size) return relativeTime.format(amount, unit);
    amount = Math.round(amount / size);
  }
  return relativeTime.format(amount, 'year');
}
`;
