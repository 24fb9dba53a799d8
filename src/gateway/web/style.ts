/** The chat page's stylesheet: system fonts, light and dark schemes, three columns that fold into drawers. */
export const PAGE_CSS = String.raw`
:root {
  --bg: #f6f7f9; --panel: #ffffff; --text: #1b1f24; --muted: #5b6470; --line: #dde1e6;
  --accent: #2459d6; --accent-text: #ffffff; --user: #e7eefc; --tool: #f2f4f7;
  --danger: #b42318; --danger-bg: #fdecea; --ok: #1f7a3a; --focus: #7aa2ff;
  --radius: 10px; --shadow: 0 8px 30px rgb(0 0 0 / 0.18);
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111418; --panel: #181c21; --text: #e6e9ed; --muted: #9aa4b1; --line: #2a3038;
    --accent: #5b8cff; --accent-text: #0b1020; --user: #1e2a44; --tool: #1f242b;
    --danger: #ff8a80; --danger-bg: #3a1d1b; --ok: #6fd08c; --focus: #8fb0ff;
  }
}
* { box-sizing: border-box; }
html, body { height: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text); display: flex; flex-direction: column; height: 100dvh;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
h1, h2, h3 { margin: 0; }
button, select, input, textarea { font: inherit; color: inherit; }
button {
  border: 1px solid var(--line); background: var(--panel); border-radius: 8px; padding: 6px 12px; cursor: pointer;
}
button:hover:not(:disabled) { border-color: var(--accent); }
button:disabled { opacity: 0.55; cursor: default; }
button.primary { background: var(--accent); color: var(--accent-text); border-color: var(--accent); font-weight: 600; }
button.danger { background: var(--danger-bg); color: var(--danger); border-color: var(--danger); font-weight: 600; }
button.ghost { background: transparent; }
button.small { padding: 2px 8px; font-size: 13px; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
[hidden] { display: none !important; }
.muted { color: var(--muted); }
.small { font-size: 13px; }
.spacer { flex: 1; }
.visually-hidden {
  position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap;
}
.skip { position: absolute; left: 8px; top: -40px; background: var(--panel); padding: 6px 10px; z-index: 10; }
.skip:focus { top: 8px; }

.bar {
  display: flex; align-items: center; gap: 10px; padding: 8px 14px; background: var(--panel);
  border-bottom: 1px solid var(--line); flex-wrap: wrap;
}
.brand { font-size: 17px; display: flex; align-items: center; gap: 8px; }
.brand img { display: block; }
.agent-pick { display: flex; align-items: center; gap: 6px; }
.agent-pick span { color: var(--muted); }
select { padding: 5px 8px; border-radius: 8px; border: 1px solid var(--line); background: var(--panel); max-width: 14rem; }
.agent-info { font-size: 13px; max-width: 28rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.count:empty { display: none; }
.count { background: var(--accent); color: var(--accent-text); border-radius: 999px; padding: 0 7px; font-size: 12px; }

.layout {
  flex: 1; min-height: 0; position: relative; display: grid; grid-template-columns: 250px minmax(0, 1fr) 280px;
  grid-template-areas: "sessions chat todo";
}
.panel { background: var(--panel); overflow-y: auto; padding: 12px; }
.sessions { grid-area: sessions; border-right: 1px solid var(--line); }
.todo { grid-area: todo; border-left: 1px solid var(--line); }
.panel-head { display: flex; align-items: center; justify-content: space-between; margin-bottom: 8px; }
.panel-head h2 { font-size: 14px; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); }
.panel p { margin: 6px 0; font-size: 14px; }

.session-list { list-style: none; margin: 0 0 8px; padding: 0; display: grid; gap: 4px; }
.session {
  width: 100%; text-align: left; border-color: transparent; background: transparent; display: grid;
  grid-template-columns: 1fr auto; gap: 0 8px; padding: 6px 8px;
}
.session[aria-current="true"] { background: var(--user); border-color: var(--accent); }
.session-title { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.session-agent { font-size: 12px; color: var(--muted); grid-column: 1; }
.session time { font-size: 12px; color: var(--muted); grid-row: 1 / span 2; grid-column: 2; align-self: center; }

.chat { grid-area: chat; display: flex; flex-direction: column; min-height: 0; min-width: 0; }
.error {
  display: flex; gap: 10px; align-items: flex-start; margin: 10px 14px 0; padding: 8px 12px; border-radius: var(--radius);
  background: var(--danger-bg); color: var(--danger); border: 1px solid var(--danger);
}
.error p { margin: 0; flex: 1; white-space: pre-wrap; }
.log { flex: 1; overflow-y: auto; padding: 16px 14px; display: flex; flex-direction: column; gap: 12px; }
.welcome { margin: auto; text-align: center; color: var(--muted); max-width: 30rem; }
.welcome strong { color: var(--text); }
.msg { max-width: min(46rem, 100%); border-radius: var(--radius); padding: 8px 12px; }
.msg .who { font-size: 12px; color: var(--muted); font-weight: 600; margin-bottom: 2px; }
.msg.user { align-self: flex-end; background: var(--user); }
.msg.assistant { align-self: flex-start; background: var(--panel); border: 1px solid var(--line); }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
.parts { display: grid; gap: 6px; }
.msg[aria-busy="true"] .parts::after { content: "…"; color: var(--muted); animation: pulse 1s infinite alternate; }
@keyframes pulse { from { opacity: 0.3; } to { opacity: 1; } }
.tool { background: var(--tool); border-radius: 8px; padding: 4px 8px; font-size: 13px; }
.tool summary { cursor: pointer; display: flex; gap: 8px; align-items: center; list-style: none; }
.tool summary::-webkit-details-marker { display: none; }
.tool summary::before { content: "▸"; color: var(--muted); width: 0.8em; }
.tool[open] summary::before { content: "▾"; }
.tool-name { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-weight: 600; }
.tool-state { color: var(--muted); }
.tool.failed .tool-state { color: var(--danger); }
.tool-label { color: var(--muted); margin-top: 4px; }
.tool pre {
  margin: 2px 0; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 16rem; overflow-y: auto;
  font: 12px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
}
.note { margin: 0; font-size: 13px; color: var(--muted); font-style: italic; }
.note.failed { color: var(--danger); font-style: normal; }

.composer {
  display: grid; grid-template-columns: 1fr auto; gap: 6px 8px; padding: 10px 14px 8px; border-top: 1px solid var(--line);
  background: var(--panel);
}
.composer textarea {
  resize: none; min-height: 2.9em; max-height: 12em; field-sizing: content; padding: 8px 10px; border-radius: 8px;
  border: 1px solid var(--line); background: var(--bg);
}
.composer-actions { display: flex; gap: 6px; align-items: flex-end; }
.help { grid-column: 1 / -1; margin: 0; font-size: 12px; }
.status { margin-left: 6px; color: var(--text); }

.todo-list { list-style: none; margin: 0; padding: 0; display: grid; gap: 6px; }
.todo-item { display: grid; grid-template-columns: 1.3em 1fr; gap: 6px; font-size: 14px; }
.todo-mark::before { content: "○"; color: var(--muted); }
.todo-item.in_progress .todo-mark::before { content: "◐"; color: var(--accent); }
.todo-item.done .todo-mark::before { content: "✓"; color: var(--ok); }
.todo-item.done .todo-text { text-decoration: line-through; color: var(--muted); }

.narrow-only { display: none; }
dialog {
  border: 1px solid var(--line); border-radius: var(--radius); background: var(--panel); color: var(--text);
  box-shadow: var(--shadow); width: min(26rem, calc(100vw - 32px)); padding: 18px;
}
dialog::backdrop { background: rgb(0 0 0 / 0.4); }
.key-form { display: grid; gap: 8px; }
.key-form p { margin: 0; }
.key-form input { padding: 7px 10px; border-radius: 8px; border: 1px solid var(--line); background: var(--bg); }
.dialog-actions { display: flex; gap: 8px; margin-top: 6px; }

@media (max-width: 1100px) {
  .layout { grid-template-columns: 240px minmax(0, 1fr); grid-template-rows: 1fr auto; grid-template-areas: "sessions chat" "todo chat"; }
  .todo { border-left: 0; border-right: 1px solid var(--line); border-top: 1px solid var(--line); max-height: 40vh; }
}
@media (max-width: 720px) {
  .narrow-only { display: inline-block; }
  .agent-info { display: none; }
  .agent-pick span { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  .bar { gap: 6px; padding: 6px 8px; }
  .layout { grid-template-columns: minmax(0, 1fr); grid-template-rows: 1fr; grid-template-areas: "chat"; }
  .panel {
    display: none; position: absolute; z-index: 5; top: 0; bottom: 0; width: min(85vw, 320px); box-shadow: var(--shadow);
    max-height: none;
  }
  .panel.open { display: block; }
  .sessions { left: 0; }
  .todo { right: 0; border: 0; }
  .msg { max-width: 100%; }
}
`;
