/**
 * Last part of the page script: state, the actions (load, resume, send, stop) and the event wiring. Source text
 * under the same rules as client-core.ts (no backticks, no dollar-brace).
 */
export const CLIENT_APP_JS = String.raw`
const state = { agents: [], agent: '', sessionId: '', sessionAgent: '', cursor: '', turn: null };

function showError(err) {
  const e = err instanceof ApiError ? err : new ApiError(0, 'ERROR', String((err && err.message) || err));
  let text = e.message;
  if (e.status === 401) {
    text = 'This server needs a valid API key: ' + e.message;
    openKeyDialog(e.message);
  } else if (e.status === 429 || e.status === 503) {
    text += e.retryAfter ? ' Try again in ' + e.retryAfter + ' s.' : ' Try again shortly.';
  }
  ui.errorText.textContent = text + (e.code && e.status ? ' (' + e.code + ', HTTP ' + e.status + ')' : '');
  ui.error.hidden = false;
}

function hideError() {
  ui.error.hidden = true;
}

function openKeyDialog(reason) {
  ui.keyReason.textContent = reason
    ? 'The server refused the request (' + reason + '). Paste an API key for this server.'
    : 'Paste an API key for this server, or forget the one kept here.';
  ui.keyInput.value = store.get(KEY_STORE);
  if (!ui.keyDialog.open) ui.keyDialog.showModal();
  ui.keyInput.focus();
}

function setBusy(turn) {
  state.turn = turn;
  const busy = Boolean(turn);
  ui.send.disabled = busy;
  ui.stop.hidden = !busy;
  ui.stop.disabled = false;
  ui.agent.disabled = busy;
  ui.newChat.disabled = busy;
  document.body.classList.toggle('busy', busy);
}

function currentAgent() {
  return state.agents.find((a) => a.name === state.agent);
}

function setSession(id, agent) {
  state.sessionId = id;
  state.sessionAgent = agent;
  const hash = id ? '#session=' + encodeURIComponent(id) : '';
  if (location.hash !== hash) history.replaceState(null, '', location.pathname + location.search + hash);
  markCurrentSession(id);
}

function selectAgent(name) {
  if (name && !state.agents.some((a) => a.name === name)) {
    ui.agent.append(el('option', { value: name, text: name + ' (unavailable)' }));
  }
  state.agent = name;
  ui.agent.value = name;
  const agent = currentAgent();
  ui.agentInfo.textContent = (agent && agent.description) || '';
}

function newChat() {
  if (state.turn) return;
  setSession('', '');
  hideError();
  showWelcome(currentAgent());
  renderTodo([]);
  setStatus('');
  ui.prompt.focus();
}

async function loadAgents() {
  let body;
  try {
    body = await api('GET', '/v1/agents');
  } catch (err) {
    showError(err);
    return false;
  }
  state.agents = ((body && body.agents) || []).filter((a) => a && a.name);
  ui.agent.replaceChildren(...state.agents.map((a) => el('option', { value: a.name, text: a.name })));
  const wanted = state.agent || store.get(AGENT_STORE);
  selectAgent(state.agents.some((a) => a.name === wanted) ? wanted : (state.agents[0] && state.agents[0].name) || '');
  if (state.agents.length === 0) showError(new ApiError(0, '', 'This server has no agents you may use.'));
  return true;
}

async function loadSessions(more) {
  const query = new URLSearchParams({ limit: '30' });
  if (more && state.cursor) query.set('cursor', state.cursor);
  let body;
  try {
    body = await api('GET', '/v1/sessions?' + query);
  } catch (err) {
    showError(err);
    return;
  }
  const items = (body && body.sessions) || [];
  const list = items.map((s) => sessionItem(s, state.sessionId));
  if (more) ui.sessionList.append(...list);
  else ui.sessionList.replaceChildren(...list);
  state.cursor = (body && body.nextCursor) || '';
  ui.moreSessions.hidden = !state.cursor;
  ui.sessionsEmpty.hidden = ui.sessionList.childElementCount > 0;
}

async function loadMessages(id) {
  const messages = [];
  let cursor = '';
  // A bounded walk: a very long session shows its first pages rather than stalling the page.
  for (let page = 0; page < 50; page++) {
    const query = new URLSearchParams({ limit: '200' });
    if (cursor) query.set('cursor', cursor);
    const body = await api('GET', sessionPath(id) + '/messages?' + query);
    messages.push(...((body && body.messages) || []));
    cursor = (body && body.nextCursor) || '';
    if (!cursor) break;
  }
  return messages;
}

async function openSession(id) {
  if (state.turn) {
    setStatus('Wait for the reply to finish, or stop it, before switching sessions.');
    return;
  }
  hideError();
  setStatus('Loading the session…');
  let info;
  let messages;
  try {
    [info, messages] = await Promise.all([api('GET', sessionPath(id)), loadMessages(id)]);
  } catch (err) {
    setStatus('');
    showError(err);
    return;
  }
  const agent = (info && info.agent) || state.agent;
  selectAgent(agent);
  setSession(id, agent);
  const first = info && !info.title ? messages.find((m) => m.role === 'user') : undefined;
  if (first) titles.remember(id, first.text);
  // A turn still running shows as a live reply fed by its event stream, not as its partial messages.
  const running = (info && info.openTurn) || '';
  renderHistory(running ? messages.filter((m) => m.turnId !== running || m.role === 'user') : messages, agent);
  if (ui.log.childElementCount === 0) showWelcome(currentAgent());
  renderTodo(info && info.todo);
  setStatus('');
  closeDrawers();
  ui.prompt.focus();
  if (running) void watchTurn(running, agent);
}

async function refreshTodo() {
  if (!state.sessionId) return;
  try {
    const info = await api('GET', sessionPath(state.sessionId));
    renderTodo(info && info.todo);
  } catch (err) {
    showError(err);
  }
}

/** After a turn, live or followed: the todo list and the session list may have changed. */
function afterTurn(turn) {
  setBusy(null);
  if (turn.sessionId) {
    void refreshTodo();
    void loadSessions(false);
  }
  ui.prompt.focus();
}

async function send() {
  const input = ui.prompt.value;
  if (!input.trim()) return;
  if (state.turn) {
    setStatus('A reply is still streaming: wait for it or stop it.');
    return;
  }
  if (!state.agent) {
    showError(new ApiError(0, '', 'Choose an agent first.'));
    return;
  }
  hideError();
  const turn = { sessionId: state.sessionId, turnId: '', lastEventId: '', started: false, stopping: false };
  setBusy(turn);
  ui.prompt.value = '';
  const userNode = addUserMessage(input);
  const reply = replyView(state.agent, true);
  setStatus('Waiting for the agent…');
  try {
    if (!turn.sessionId) {
      const created = await api('POST', '/v1/sessions', { body: { agent: state.agent } });
      turn.sessionId = created.id;
      setSession(created.id, state.agent);
    }
    const res = await api('POST', sessionPath(turn.sessionId) + '/turns', {
      body: { input },
      accept: 'text/event-stream',
      stream: true,
    });
    turn.started = true;
    turn.turnId = res.headers.get('x-turn-id') || '';
    if (turn.stopping) void interrupt(turn);
    await streamInto(turn, reply, res);
  } catch (err) {
    if (!turn.started) {
      // Nothing reached the agent: take the message back so it can be sent again (after entering a key, say).
      userNode.remove();
      reply.node.remove();
      if (!ui.prompt.value) ui.prompt.value = input;
      if (ui.log.childElementCount === 0) showWelcome(currentAgent());
    } else {
      reply.fail(err.message || String(err));
    }
    setStatus('');
    showError(err);
  } finally {
    afterTurn(turn);
  }
}

/** Follows a turn that was already running when its session was opened (a reload mid-reply, another tab). */
async function watchTurn(turnId, agent) {
  const turn = { sessionId: state.sessionId, turnId, lastEventId: '', started: true, stopping: false };
  setBusy(turn);
  const reply = replyView(agent, true);
  try {
    const res = await api('GET', turnEventsPath(turn), { accept: 'text/event-stream', stream: true });
    await streamInto(turn, reply, res);
  } catch (err) {
    reply.fail(err.message || String(err));
    setStatus('');
    showError(err);
  } finally {
    afterTurn(turn);
  }
}

async function interrupt(turn) {
  try {
    await api('POST', sessionPath(turn.sessionId) + '/interrupt');
  } catch (err) {
    turn.stopping = false;
    ui.stop.disabled = false;
    showError(err);
  }
}

function stop() {
  const turn = state.turn;
  if (!turn || turn.stopping) return;
  turn.stopping = true;
  ui.stop.disabled = true;
  setStatus('Stopping…');
  // Before the stream has started there is no turn to interrupt yet: send() interrupts once it has one.
  if (turn.started) void interrupt(turn);
}

function closeDrawers() {
  for (const [panel, button] of [[ui.sessions, ui.toggleSessions], [ui.todo, ui.toggleTodo]]) {
    panel.classList.remove('open');
    button.setAttribute('aria-expanded', 'false');
  }
}

function toggleDrawer(panel, button) {
  const open = !panel.classList.contains('open');
  closeDrawers();
  panel.classList.toggle('open', open);
  button.setAttribute('aria-expanded', String(open));
}

function sessionFromHash() {
  const m = /^#session=(.+)$/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : '';
}

async function boot() {
  hideError();
  if (!(await loadAgents())) return;
  await loadSessions(false);
  const wanted = sessionFromHash();
  if (wanted && wanted !== state.sessionId) await openSession(wanted);
  else if (!state.sessionId) showWelcome(currentAgent());
}

ui.composer.addEventListener('submit', (e) => {
  e.preventDefault();
  void send();
});
ui.prompt.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    void send();
  }
});
ui.stop.addEventListener('click', stop);
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape' || ui.keyDialog.open) return;
  if (state.turn) stop();
  else closeDrawers();
});
ui.agent.addEventListener('change', () => {
  selectAgent(ui.agent.value);
  store.set(AGENT_STORE, state.agent);
  if (!state.sessionId || state.sessionAgent !== state.agent) newChat();
});
ui.newChat.addEventListener('click', newChat);
ui.sessionList.addEventListener('click', (e) => {
  const button = e.target.closest('button.session');
  if (button) void openSession(button.dataset.id);
});
ui.moreSessions.addEventListener('click', () => void loadSessions(true));
ui.refreshSessions.addEventListener('click', () => void loadSessions(false));
ui.toggleSessions.addEventListener('click', () => toggleDrawer(ui.sessions, ui.toggleSessions));
ui.toggleTodo.addEventListener('click', () => toggleDrawer(ui.todo, ui.toggleTodo));
ui.errorClose.addEventListener('click', hideError);
ui.keyButton.addEventListener('click', () => openKeyDialog(''));
ui.keyCancel.addEventListener('click', () => ui.keyDialog.close());
ui.keyForget.addEventListener('click', () => {
  store.set(KEY_STORE, '');
  ui.keyInput.value = '';
  ui.keyDialog.close();
  void boot();
});
ui.keyForm.addEventListener('submit', (e) => {
  e.preventDefault();
  store.set(KEY_STORE, ui.keyInput.value.trim());
  ui.keyDialog.close();
  void boot();
});
window.addEventListener('hashchange', () => {
  const id = sessionFromHash();
  if (id && id !== state.sessionId) void openSession(id);
});

renderTodo([]);
void boot();
`;
