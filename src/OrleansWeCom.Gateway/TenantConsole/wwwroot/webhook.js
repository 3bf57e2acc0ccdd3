'use strict';
// The tenant's webhook: its URL, a new URL or secret, and the dead letters with replay (routes under /gnapi/open/webhook).
let webhookUrl = null;

async function refreshWebhook() {
  const view = await api('GET', 'webhook');
  webhookUrl = view.url;
  $('webhook-url').textContent = view.url ?? 'none';
  $('webhook-state').textContent = view.url ? `${view.pending} pending, ${view.dead} dead` : '';
  $('webhook-rotate').disabled = !view.url;
  await refreshDeadLetters();
}

// The secret is shown once, in the answer that set it; the page never reads it back.
async function saveWebhook(body) {
  $('webhook-error').textContent = '';
  try {
    const configured = await api('PUT', 'webhook', body);
    $('webhook-secret').textContent = configured.secret ? `Signing secret (shown once): ${configured.secret}` : '';
    await refreshWebhook();
  } catch (e) {
    $('webhook-error').textContent = e.message;
  }
}

async function refreshDeadLetters() {
  const dead = await api('GET', 'webhook/dead?limit=100');
  $('dead-replay-all').disabled = dead.items.length === 0;
  $('dead').tBodies[0].replaceChildren(...dead.items.map(d => {
    const row = document.createElement('tr');
    row.dataset.msgid = d.msgId;
    cells(row, [['msgid', d.msgId], ['type', d.event?.type ?? ''], ['attempts', d.attempts], ['error', d.lastError ?? '']]);
    const replay = document.createElement('button');
    replay.className = 'replay';
    replay.textContent = 'Replay';
    replay.onclick = () => replayDead([d.msgId]);
    row.insertCell().append(replay);
    return row;
  }));
}

async function replayDead(msgIds) {
  $('webhook-error').textContent = '';
  try {
    const result = await api('POST', 'webhook/replay', msgIds ? { msgIds } : {});
    $('webhook-state').textContent = `${result.replayed} queued again`;
    await refreshDeadLetters();
  } catch (e) {
    $('webhook-error').textContent = e.message;
  }
}

$('webhook-save').onclick = () => saveWebhook({ url: $('webhook-new-url').value.trim() });
$('webhook-rotate').onclick = () => saveWebhook({ url: webhookUrl, rotateSecret: true });
$('dead-replay-all').onclick = () => replayDead(null);
