// The web page end to end in headless Chromium against a real gateway and the mock LLM: enter a key after a 401,
// pick the agent, stream a reply with a todo tool call, resume the session from the list, interrupt a long reply.
// Screenshots go to test-artifacts/ for a person to look at.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { startTestGateway } from '../helpers/gateway.js';
import { tempDir } from '../helpers/runtime.js';

const CHROMIUM = process.env.SWIFTLET_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;
const KEY = 'sk-web-test-1';
const LONG_TEXT =
  'Here is the plan for the report. First I gather the figures from last quarter, then I compare them with the ' +
  'targets we set, and finally I write a short summary with the three most important findings. Done now.';

/** True (after skipping `t`) when there is no Chromium to drive; with SWIFTLET_REQUIRE_SERVICES=1 that fails. */
function noChromium(t: { skip(reason: string): void }): boolean {
  if (existsSync(CHROMIUM)) return false;
  const reason = `Chromium not found at ${CHROMIUM} (set SWIFTLET_CHROMIUM or install it)`;
  if (process.env.SWIFTLET_REQUIRE_SERVICES === '1') throw new Error(`${reason}; SWIFTLET_REQUIRE_SERVICES=1`);
  console.log(`skipping the web page browser test: ${reason}`);
  t.skip(reason);
  return true;
}

async function launch(t: TestContext): Promise<BrowserContext> {
  const { chromium } = await import('playwright-core');
  const context = await chromium.launchPersistentContext(tempDir(t, 'swiftlet-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
  });
  t.after(() => context.close());
  return context;
}

/** Page errors and console errors, except those matching `expected` (the refusals the test provokes on purpose). */
function watchErrors(page: Page, expected: RegExp[]): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !expected.some((re) => re.test(msg.text()))) errors.push(`console: ${msg.text()}`);
  });
  return errors;
}

type Doc = { body: unknown; querySelector(selector: string): { textContent: string | null } | null };
type Observer = new (callback: () => void) => { observe(node: unknown, options: object): void; disconnect(): void };

/**
 * Resolves once a reply is still streaming and its text does (or does not) contain `needle`. Watched by a
 * MutationObserver in the page: Playwright's waitForFunction evaluates strings, which the page's CSP rightly refuses.
 * (No named inner functions here: the page would not know the helper tsx adds to keep their names.)
 */
function streaming(page: Page, needle: string, present: boolean): Promise<void> {
  return page.evaluate(
    ({ needle, present }) =>
      new Promise<void>((resolve, reject) => {
        const g = globalThis as unknown as { document: Doc; MutationObserver: Observer };
        const selector = '#log .msg.assistant[aria-busy="true"] .text';
        const observer = new g.MutationObserver(() => {
          const text = g.document.querySelector(selector)?.textContent ?? '';
          if (text.length > 0 && text.includes(needle) === present) {
            observer.disconnect();
            resolve();
          }
        });
        observer.observe(g.document.body, { childList: true, subtree: true, characterData: true });
        setTimeout(() => {
          observer.disconnect();
          reject(new Error(`no streaming reply ${present ? 'with' : 'without'} "${needle}" within 15 s`));
        }, 15_000);
      }),
    { needle, present },
  );
}

function bodyBackground(page: Page): Promise<string> {
  type Styles = { getComputedStyle(el: unknown): { backgroundColor: string } };
  return page
    .locator('body')
    .evaluate((body) => (globalThis as unknown as Styles).getComputedStyle(body).backgroundColor);
}

/** The text of the newest reply once it has finished streaming. */
async function lastReplyDone(page: Page): Promise<string> {
  const reply = page.locator('#log .msg.assistant').last();
  await reply.and(page.locator(':not([aria-busy])')).waitFor();
  return reply.innerText();
}

test('web chat in Chromium: key, agent, streaming, todo, resume, interrupt', async (t) => {
  if (noChromium(t)) return;
  const { url, mock, gateway } = await startTestGateway(t, {
    keys: { web: KEY },
    mock: {
      tokenDelayMs: 30,
      script: [
        { toolCalls: [{ name: 'todo', arguments: { action: 'add', text: 'Write the report' } }] },
        { text: LONG_TEXT },
      ],
    },
  });
  const context = await launch(t);
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20_000);
  const expected = [/Failed to load resource: the server responded with a status of 401/];
  const errors = watchErrors(page, expected);
  await page.goto(`${url}/`);

  await t.test('a 401 asks for the key; with it the agents load', async () => {
    const dialog = page.getByRole('dialog', { name: 'API key' });
    await dialog.waitFor();
    await page.locator('#error').filter({ hasText: 'SWIFTLET_ERR_UNAUTHORIZED' }).waitFor();
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}web-chat-key.png` });
    await page.getByLabel('Key', { exact: true }).fill(KEY);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.locator('#agent option[value="assistant"]').waitFor({ state: 'attached' });
    await page.getByLabel('Agent').selectOption('assistant');
    assert.equal(await page.locator('#error').isHidden(), true);
  });

  await t.test('Enter sends; the reply streams in; the todo list shows the item', async () => {
    const prompt = page.getByLabel('Message', { exact: true });
    await prompt.fill('Plan the report');
    await prompt.press('Shift+Enter');
    await prompt.pressSequentially('please');
    assert.equal(await prompt.inputValue(), 'Plan the report\nplease', 'Shift+Enter adds a new line');
    await prompt.press('Enter');
    // Mid-stream: the reply is still busy and already shows part of its text.
    await streaming(page, 'Done now.', false);
    const text = await lastReplyDone(page);
    assert.ok(text.includes(LONG_TEXT), text);
    await page.locator('#log .msg.user').filter({ hasText: 'Plan the report' }).waitFor();
    await page.locator('#log .tool .tool-name').filter({ hasText: 'todo' }).waitFor();
    await page.locator('#todo-list li').filter({ hasText: 'Write the report' }).waitFor();
    assert.equal(await prompt.inputValue(), '');
    await page.locator('#session-list button.session').filter({ hasText: 'Plan the report' }).waitFor();
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}web-chat.png` });
  });

  await t.test('a new chat starts empty; the session list resumes the old one', async () => {
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.locator('#log .welcome').waitFor();
    assert.equal(await page.locator('#todo-list li').count(), 0);
    await page.locator('#session-list button.session').filter({ hasText: 'Plan the report' }).click();
    await page.locator('#log .msg.user').filter({ hasText: 'Plan the report' }).waitFor();
    const reply = await page.locator('#log .msg.assistant').last().innerText();
    assert.ok(reply.includes('Done now.'), reply);
    await page.locator('#log .tool .tool-name').filter({ hasText: 'todo' }).waitFor();
    await page.locator('#todo-list li').filter({ hasText: 'Write the report' }).waitFor();
    assert.match(page.url(), /#session=ses_/);
  });

  await t.test('Stop interrupts a long reply', async () => {
    mock.configure({ script: [], outputTokens: 5000, tokenDelayMs: 20 });
    await page.getByLabel('Message', { exact: true }).fill('Tell me a very long story');
    await page.getByRole('button', { name: 'Send' }).click();
    await streaming(page, 'lorem', true);
    await page.getByRole('button', { name: 'Stop' }).click();
    const text = await lastReplyDone(page);
    assert.match(text, /Stopped\./);
    assert.ok(text.length < 5000 * 3, 'cut short');
    await page.getByRole('button', { name: 'Stop' }).waitFor({ state: 'hidden' });
    assert.equal(await page.getByRole('button', { name: 'Send' }).isEnabled(), true);
    // Still one session: the turn ran on the resumed one.
    assert.equal(await page.locator('#session-list button.session').count(), 1);
    await page.screenshot({ path: `${ARTIFACTS}web-chat-stopped.png` });
  });

  await t.test('a stream cut mid-reply picks up after the last event, with nothing lost or repeated', async () => {
    mock.configure({ script: [], outputTokens: 80, tokenDelayMs: 25 });
    const sockets: Socket[] = [];
    const resumedAfter: string[] = [];
    const onRequest = (req: IncomingMessage): void => {
      if (req.method === 'POST' && req.url?.endsWith('/turns')) sockets.push(req.socket);
      if (req.method === 'GET' && req.url?.endsWith('/events')) resumedAfter.push(String(req.headers['last-event-id']));
    };
    gateway.server.on('request', onRequest);
    t.after(() => void gateway.server.off('request', onRequest));
    expected.push(/net::ERR_INCOMPLETE_CHUNKED_ENCODING/);
    await page.getByLabel('Message', { exact: true }).fill('Cut me off');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    await streaming(page, 'lorem', true);
    assert.equal(sockets.length, 1);
    sockets[0]!.destroy();
    const shown = await lastReplyDone(page);
    assert.doesNotMatch(shown, /Stopped|Failed|closed/);
    assert.equal(resumedAfter.length, 1, 'one reconnection');
    assert.match(resumedAfter[0]!, /^\d+\.\d+$/, 'with the id of the last event seen');
    const sessionId = decodeURIComponent(new URL(page.url()).hash.replace('#session=', ''));
    const res = await fetch(`${url}/v1/sessions/${sessionId}/messages?limit=1000`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    const { messages } = (await res.json()) as { messages: { role: string; text?: string }[] };
    const stored = messages.filter((m) => m.role === 'assistant').at(-1)?.text;
    assert.ok(stored?.startsWith('Mock reply to: "Cut me off"'), stored);
    assert.equal(await page.locator('#log .msg.assistant').last().locator('.text').textContent(), stored);
  });

  await t.test('a reload mid-reply follows the running turn; Escape stops it', async () => {
    const prompt = page.getByLabel('Message', { exact: true });
    const before = await page.locator('#log .msg.user').count();
    await prompt.fill('Another long story');
    await prompt.press('Enter');
    await streaming(page, 'lorem', true);
    await page.reload();
    // The page reopens the session from its address and streams the turn from its start.
    await streaming(page, 'Mock reply to: "Another long story"', true);
    await page.keyboard.press('Escape');
    const text = await lastReplyDone(page);
    assert.match(text, /^assistant\s+Mock reply to: "Another long story" lorem/);
    assert.match(text, /Stopped\./);
    assert.equal(await page.locator('#log .msg.user').count(), before + 1);
  });

  await t.test('narrow screens fold the panels into drawers', async () => {
    await page.setViewportSize({ width: 390, height: 760 });
    assert.equal(await page.locator('#sessions').isVisible(), false);
    await page.getByRole('button', { name: 'Sessions' }).click();
    await page.locator('#sessions').waitFor({ state: 'visible' });
    await page.screenshot({ path: `${ARTIFACTS}web-chat-narrow-sessions.png` });
    await page.keyboard.press('Escape');
    await page.locator('#sessions').waitFor({ state: 'hidden' });
    await page.screenshot({ path: `${ARTIFACTS}web-chat-narrow.png` });
  });

  await t.test('sessions made outside the page show their first message, or their id before one', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    mock.configure({ script: [], outputTokens: 5, tokenDelayMs: 0 });
    const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
    const create = async (): Promise<string> => {
      const res = await fetch(`${url}/v1/sessions`, { method: 'POST', headers, body: '{"agent":"assistant"}' });
      assert.equal(res.status, 201);
      return ((await res.json()) as { id: string }).id;
    };
    const titled = await create();
    const turn = await fetch(`${url}/v1/sessions/${titled}/turns`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ input: 'Made   outside\nthe page' }),
    });
    assert.equal(turn.status, 200, await turn.clone().text());
    await turn.arrayBuffer();
    const empty = await create();
    await page.reload();
    await page.locator('#session-list button.session').filter({ hasText: 'Made outside the page' }).waitFor();
    await page
      .locator(`#session-list button.session[data-id="${empty}"] .session-title`)
      .filter({ hasText: empty })
      .waitFor();
  });

  await t.test('the dark scheme follows the system setting', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    const light = await bodyBackground(page);
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await bodyBackground(page);
    assert.notEqual(dark, light);
    await page.screenshot({ path: `${ARTIFACTS}web-chat-dark.png` });
  });

  assert.deepEqual(errors, []);
});
