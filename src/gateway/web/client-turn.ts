/**
 * Part of the page script: following a turn's event stream into a reply view, picking a dropped stream up again
 * from the last event id. Source text under the same rules as client-core.ts (no backticks, no dollar-brace).
 */
export const CLIENT_TURN_JS = String.raw`
const RECONNECTS = 3;

function turnEventsPath(turn) {
  return sessionPath(turn.sessionId) + '/turns/' + encodeURIComponent(turn.turnId) + '/events';
}

/** Shows one turn event in a reply view; a todo tool result updates the todo list at once. */
function applyEvent(reply, type, event) {
  if (type === 'text-delta') reply.text(event.text);
  else if (type === 'tool-call') reply.toolCall(event.call);
  else if (type === 'tool-progress') reply.toolProgress(event);
  else if (type === 'tool-result') {
    reply.toolResult(event);
    if (event.name === 'todo' && !event.isError) todoFromToolOutput(event.output);
  } else if (type === 'turn-end') reply.end(event);
}

async function reconnect(turn, tries) {
  setStatus('Connection lost: reconnecting…');
  await new Promise((resolve) => setTimeout(resolve, 400 * tries));
  try {
    return await api('GET', turnEventsPath(turn), {
      accept: 'text/event-stream',
      stream: true,
      headers: turn.lastEventId ? { 'last-event-id': turn.lastEventId } : {},
    });
  } catch (err) {
    if (err.code === 'NETWORK') return null;
    throw err;
  }
}

/**
 * Reads a turn's events into a reply view until turn-end, which it returns. When the connection drops, the stream is
 * asked for again after the last event seen (the server sends exactly what was missed); errors the server reports are
 * thrown.
 */
async function followTurn(turn, reply, first) {
  let res = first;
  let tries = 0;
  for (;;) {
    if (res && res.status !== 204) {
      setStatus(turn.stopping ? 'Stopping…' : 'Replying…');
      try {
        for await (const { type, id, event } of turnEvents(res)) {
          if (id) turn.lastEventId = id;
          if (!turn.turnId && event.turnId) turn.turnId = event.turnId;
          tries = 0;
          applyEvent(reply, type, event);
          if (type === 'turn-end') return event;
        }
      } catch (err) {
        if (err instanceof ApiError) throw err;
      }
    }
    if (!turn.turnId || tries >= RECONNECTS) {
      throw new ApiError(0, 'STREAM_CUT', 'The connection closed before the reply finished.');
    }
    tries += 1;
    res = await reconnect(turn, tries);
  }
}

/** Follows a turn to its end and reports how it ended. */
async function streamInto(turn, reply, res) {
  const end = await followTurn(turn, reply, res);
  setStatus(end.outcome === 'final' ? '' : 'Turn ended: ' + String(end.outcome).replace('_', ' ') + '.');
  if (end.outcome === 'failed' && end.error) showError(new ApiError(0, end.error.code, end.error.message));
  return end;
}
`;
