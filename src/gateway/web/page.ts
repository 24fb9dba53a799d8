/** The chat page's markup. It holds no data: everything is fetched by the script with the user's API key. */
export function renderPage(urls: { css: string; js: string; icon: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>Swiftlet</title>
<link rel="icon" type="image/svg+xml" href="${urls.icon}">
<link rel="stylesheet" href="${urls.css}">
<script type="module" src="${urls.js}"></script>
</head>
<body>
<a class="skip" href="#prompt">Skip to the message box</a>
<header class="bar">
  <h1 class="brand"><img src="${urls.icon}" alt="" width="22" height="22"> Swiftlet</h1>
  <label class="agent-pick" for="agent"><span>Agent</span>
    <select id="agent" name="agent" aria-describedby="agent-info"></select>
  </label>
  <span id="agent-info" class="agent-info muted"></span>
  <span class="spacer"></span>
  <button type="button" id="toggle-sessions" class="narrow-only" aria-controls="sessions" aria-expanded="false">Sessions</button>
  <button type="button" id="toggle-todo" class="narrow-only" aria-controls="todo" aria-expanded="false">Todo <span id="todo-count" class="count"></span></button>
  <button type="button" id="new-chat">New chat</button>
  <button type="button" id="key-button" class="ghost">API key</button>
</header>
<div class="layout">
  <nav id="sessions" class="panel sessions" aria-labelledby="sessions-title">
    <div class="panel-head">
      <h2 id="sessions-title">Sessions</h2>
      <button type="button" id="refresh-sessions" class="ghost small">Refresh</button>
    </div>
    <ul id="session-list" class="session-list"></ul>
    <p id="sessions-empty" class="muted">No sessions yet.</p>
    <button type="button" id="more-sessions" class="ghost small" hidden>Load more</button>
  </nav>
  <main class="chat" aria-labelledby="chat-title">
    <h2 id="chat-title" class="visually-hidden">Conversation</h2>
    <div id="error" class="error" role="alert" hidden>
      <p id="error-text"></p>
      <button type="button" id="error-close" class="ghost small" aria-label="Dismiss the error">Dismiss</button>
    </div>
    <div id="log" class="log" role="log" aria-live="polite" tabindex="0" aria-label="Messages"></div>
    <form id="composer" class="composer">
      <label for="prompt" class="visually-hidden">Message</label>
      <textarea id="prompt" name="input" rows="2" autocomplete="off" aria-describedby="prompt-help"
        placeholder="Write a message"></textarea>
      <div class="composer-actions">
        <button type="submit" id="send" class="primary">Send</button>
        <button type="button" id="stop" class="danger" hidden>Stop</button>
      </div>
      <p id="prompt-help" class="help muted">Enter sends, Shift+Enter adds a new line, Escape stops a reply.
        <span id="status" class="status" role="status"></span></p>
    </form>
  </main>
  <aside id="todo" class="panel todo" aria-labelledby="todo-title">
    <div class="panel-head"><h2 id="todo-title">Todo</h2></div>
    <ol id="todo-list" class="todo-list"></ol>
    <p id="todo-empty" class="muted">Nothing planned yet. Agents with the todo tool keep their plan here.</p>
  </aside>
</div>
<dialog id="key-dialog" aria-labelledby="key-title" aria-describedby="key-reason">
  <form id="key-form" class="key-form">
    <h2 id="key-title">API key</h2>
    <p id="key-reason"></p>
    <label for="key-input">Key</label>
    <input id="key-input" name="key" type="password" autocomplete="off" spellcheck="false">
    <p class="muted small">Kept in this browser's local storage and sent only to this server.</p>
    <div class="dialog-actions">
      <button type="button" id="key-forget" class="ghost">Forget key</button>
      <span class="spacer"></span>
      <button type="button" id="key-cancel">Cancel</button>
      <button type="submit" class="primary">Save</button>
    </div>
  </form>
</dialog>
</body>
</html>
`;
}
