/**
 * Second part of the page script: the DOM views (messages, replies with their tool calls, the todo list, the
 * session list). Source text under the same rules as client-core.ts (no backticks, no dollar-brace).
 */
export const CLIENT_VIEWS_JS = String.raw`
const byId = (id) => document.getElementById(id);
const ui = {
  agent: byId('agent'), agentInfo: byId('agent-info'), newChat: byId('new-chat'), keyButton: byId('key-button'),
  toggleSessions: byId('toggle-sessions'), toggleTodo: byId('toggle-todo'), todoCount: byId('todo-count'),
  sessions: byId('sessions'), sessionList: byId('session-list'), sessionsEmpty: byId('sessions-empty'),
  moreSessions: byId('more-sessions'), refreshSessions: byId('refresh-sessions'),
  error: byId('error'), errorText: byId('error-text'), errorClose: byId('error-close'),
  log: byId('log'), composer: byId('composer'), prompt: byId('prompt'), send: byId('send'), stop: byId('stop'),
  status: byId('status'), todo: byId('todo'), todoList: byId('todo-list'), todoEmpty: byId('todo-empty'),
  keyDialog: byId('key-dialog'), keyForm: byId('key-form'), keyReason: byId('key-reason'), keyInput: byId('key-input'),
  keyForget: byId('key-forget'), keyCancel: byId('key-cancel'),
};

/** Runs a DOM change and keeps the log pinned to the bottom if the reader was already there. */
function follow(change) {
  const log = ui.log;
  const pinned = log.scrollHeight - log.scrollTop - log.clientHeight < 60;
  change();
  if (pinned) log.scrollTop = log.scrollHeight;
}

function setStatus(text) {
  ui.status.textContent = text;
}

function showWelcome(agent) {
  ui.log.replaceChildren(
    el('div', { class: 'welcome' },
      el('p', null, 'New chat with ', el('strong', { text: (agent && agent.name) || 'no agent' }), '.'),
      agent && agent.description ? el('p', { text: agent.description }) : null,
      el('p', { text: agent ? 'Type a message below to start.' : 'Choose an agent to start.' })),
  );
}

function addUserMessage(text) {
  const welcome = ui.log.querySelector('.welcome');
  if (welcome) welcome.remove();
  const node = el('article', { class: 'msg user' }, el('h3', { class: 'who', text: 'You' }), el('div', { class: 'text', text }));
  follow(() => ui.log.append(node));
  return node;
}

/** An assistant reply: text blocks and tool calls in the order they happened, then how the turn ended. */
function replyView(agentName, live) {
  const welcome = ui.log.querySelector('.welcome');
  if (welcome) welcome.remove();
  const parts = el('div', { class: 'parts' });
  const node = el('article', { class: 'msg assistant', 'aria-busy': live ? 'true' : null },
    el('h3', { class: 'who', text: agentName || 'assistant' }), parts);
  follow(() => ui.log.append(node));
  let block = null;
  let sawText = false;
  const tools = new Map();
  const view = {
    node,
    text(delta) {
      if (!delta) return;
      sawText = true;
      follow(() => {
        if (!block) {
          block = el('div', { class: 'text' });
          parts.append(block);
        }
        block.append(delta);
      });
    },
    toolCall(call) {
      block = null;
      const state = el('span', { class: 'tool-state', text: live ? 'running…' : '' });
      const outLabel = el('div', { class: 'tool-label', text: 'Result', hidden: true });
      const output = el('pre', { class: 'tool-out', hidden: true });
      const box = el('details', { class: 'tool' },
        el('summary', null, el('span', { class: 'tool-name', text: call.name || 'tool' }), state),
        el('div', { class: 'tool-label', text: 'Arguments' }),
        el('pre', { class: 'tool-in', text: pretty(call.arguments || '') }),
        outLabel, output);
      tools.set(call.id, { box, state, output, outLabel });
      follow(() => parts.append(box));
    },
    toolProgress(progress) {
      const tool = tools.get(progress.callId);
      if (!tool) return;
      // A running command's output, shown as it comes; the result replaces it. Kept to the last 64 KiB.
      const text = (tool.output.textContent + progress.text).slice(-65536);
      tool.output.textContent = text;
      tool.output.hidden = false;
    },
    toolResult(result) {
      if (!tools.has(result.callId)) view.toolCall({ id: result.callId, name: result.name, arguments: '' });
      const tool = tools.get(result.callId);
      tool.output.textContent = pretty(result.output);
      tool.output.hidden = false;
      tool.outLabel.hidden = false;
      tool.state.textContent = result.isError ? 'failed' : 'done';
      tool.box.classList.toggle('failed', Boolean(result.isError));
    },
    note(message, failed) {
      follow(() => parts.append(el('p', { class: failed ? 'note failed' : 'note', text: message })));
    },
    end(turn) {
      node.removeAttribute('aria-busy');
      const empty = !sawText && !turn.text;
      if (!sawText && turn.text) view.text(turn.text);
      if (block) block.normalize();
      for (const tool of tools.values()) if (tool.state.textContent === 'running…') tool.state.textContent = 'no result';
      if (turn.outcome === 'interrupted') view.note('Stopped.');
      else if (turn.outcome === 'max_steps') view.note('Stopped at the step limit (' + turn.steps + ' steps).');
      else if (turn.outcome === 'failed') view.note('Failed: ' + ((turn.error && turn.error.message) || 'unknown error'), true);
      else if (empty && tools.size === 0) view.note('(no text in the reply)');
    },
    fail(message) {
      node.removeAttribute('aria-busy');
      view.note(message, true);
    },
  };
  return view;
}

/**
 * Rebuilds a conversation from the stored messages (roles user, assistant, tool): one reply bubble per turn, tool
 * results beside their calls.
 */
function renderHistory(messages, agentName) {
  ui.log.replaceChildren();
  let reply = null;
  for (const m of messages) {
    if (m.role === 'user') {
      reply = null;
      addUserMessage(m.text);
    } else if (m.role === 'assistant') {
      reply = reply || replyView(agentName, false);
      reply.text(m.text);
      for (const call of m.toolCalls || []) reply.toolCall(call);
      if (m.interrupted) reply.note('Stopped.');
    } else if (m.role === 'tool') {
      reply = reply || replyView(agentName, false);
      reply.toolResult(m);
    }
  }
  ui.log.scrollTop = ui.log.scrollHeight;
}

const TODO_STATUS = { pending: 'to do', in_progress: 'in progress', done: 'done' };

function renderTodo(items) {
  const list = Array.isArray(items) ? items.filter((i) => i && typeof i.text === 'string' && TODO_STATUS[i.status]) : [];
  ui.todoList.replaceChildren(...list.map((item) =>
    el('li', { class: 'todo-item ' + item.status },
      el('span', { class: 'todo-mark', 'aria-hidden': 'true' }),
      el('span', { class: 'todo-text', text: item.text },
        el('span', { class: 'visually-hidden', text: ' (' + TODO_STATUS[item.status] + ')' })))));
  ui.todoEmpty.hidden = list.length > 0;
  const open = list.filter((i) => i.status !== 'done').length;
  ui.todoCount.textContent = open > 0 ? String(open) : '';
}

/** The todo tool answers with the whole list: show it at once, before the turn has ended. */
function todoFromToolOutput(output) {
  try {
    const value = JSON.parse(output);
    if (Array.isArray(value)) renderTodo(value);
  } catch {
    // Not a list (an error message): the list is refreshed from the session when the turn ends.
  }
}

function sessionItem(session, current) {
  const updated = typeof session.updatedAt === 'number' ? session.updatedAt : Date.parse(session.updatedAt) || 0;
  const title = session.title || titles.get(session.id) || String(session.id);
  return el('li', null,
    el('button', { type: 'button', class: 'session', 'data-id': session.id, title: session.id,
      'aria-current': session.id === current ? 'true' : null },
      el('span', { class: 'session-title', text: title }),
      el('span', { class: 'session-agent', text: session.agent || '' }),
      updated ? el('time', { datetime: new Date(updated).toISOString(), text: timeAgo(updated) }) : null));
}

function markCurrentSession(id) {
  for (const button of ui.sessionList.querySelectorAll('button.session')) {
    if (button.dataset.id === id) button.setAttribute('aria-current', 'true');
    else button.removeAttribute('aria-current');
  }
}
`;
