'use strict';
// The tenant console: every call carries the tenant key (kept in this tab's sessionStorage) in the apikey header.
const KEY = 'wecom.apikey';
const STATUS = ['online', 'offline', 'logged out', 'logging in', 'login failed: scan again', 'login failed: contact support'];
const $ = id => document.getElementById(id);
let apikey = sessionStorage.getItem(KEY);
let loginHost = null;
let qrLoadedFrom = null;
let chat = null; // { wxId, conversationId } shown in the conversation view
let streamAbort = null;
let lastEventId = 0;

// Calls a route with a key in the apikey header; answers the envelope's data or throws its msg.
async function call(url, key, method, body) {
  const init = { method, headers: { apikey: key } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const envelope = await response.json().catch(() => ({ code: response.status, msg: response.statusText }));
  if (!response.ok || envelope.code !== 0) throw new Error(envelope.msg || 'HTTP ' + response.status);
  return envelope.data;
}

const api = (method, path, body) => call('/gnapi/open/' + path, apikey, method, body);

function cells(row, pairs) {
  for (const [name, text] of pairs) {
    const cell = row.insertCell();
    cell.className = name;
    cell.textContent = text;
  }
}

async function signIn(key) {
  apikey = key;
  const users = await api('GET', 'inner/user/list');
  sessionStorage.setItem(KEY, key);
  $('user').replaceChildren(...users.map(u => new Option(u.username ? `${u.username} (${u.id})` : u.id, u.id)));
  $('signin').hidden = true;
  $('app').hidden = false;
  $('signout').hidden = false;
  $('who').textContent = 'signed in';
  startStream();
  await Promise.all([refreshAccounts(), refreshWebhook()]);
}

function signOut() {
  sessionStorage.removeItem(KEY);
  streamAbort?.abort();
  location.reload();
}

async function createContainer() {
  $('login-error').textContent = '';
  try {
    const created = await api('POST', 'container/create', { userId: $('user').value });
    loginHost = created.hostname;
    qrLoadedFrom = null;
    $('hostname').textContent = loginHost;
    $('login').hidden = false;
    await refreshAccounts();
  } catch (e) {
    $('login-error').textContent = e.message;
  }
}

// The QR image needs the apikey header, so it is fetched here and shown through an object URL.
async function showQr(qrCode) {
  if (qrLoadedFrom === qrCode) return;
  const response = await fetch(`/gnapi/open/container/${encodeURIComponent(loginHost)}/qrcode`, { headers: { apikey } });
  if (!response.ok) return;
  const img = $('qr');
  if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(await response.blob());
  img.hidden = false;
  qrLoadedFrom = qrCode;
}

async function verify() {
  $('login-error').textContent = '';
  try {
    await api('POST', 'container/verify', { hostname: loginHost, code: $('code').value.trim() });
    await refreshAccounts();
  } catch (e) {
    $('login-error').textContent = e.message;
  }
}

async function refreshAccounts() {
  const accounts = await api('GET', 'inner/user/wx/list?IsOnline=false');
  // Counters and memory are extras: a host that cannot answer for memory leaves the column empty.
  const [stats, memory] = await Promise.all([
    api('GET', 'account/stats?limit=200').catch(() => ({ items: [] })),
    accounts.some(a => a.Status === 0) ? api('GET', 'container/memory').catch(() => []) : [],
  ]);
  const counts = new Map(stats.items.map(s => [s.wxId, s]));
  const memoryOf = new Map(memory.map(m => [m.hostName ?? m.HostName, m.memory ?? m.Memory]));
  $('accounts').tBodies[0].replaceChildren(...accounts.map(a => {
    const row = document.createElement('tr');
    row.dataset.hostname = a.hostname;
    const c = counts.get(a.wxId);
    const mem = memoryOf.get(a.hostname);
    cells(row, [['hostname', a.hostname], ['wxid', a.wxId ?? ''], ['status', STATUS[a.Status] ?? a.Status], ['step', a.LoginStep],
      ['queued', c ? c.queued + c.sending : ''], ['sent', c ? c.sent : ''], ['failed', c ? c.failed + c.unknown : ''],
      ['memory', mem === undefined ? '' : `${mem}`]]);
    return row;
  }));
  const from = $('send-from');
  const chosen = from.value;
  const online = accounts.filter(a => a.Status === 0 && a.wxId);
  from.replaceChildren(...online.map(a => new Option(`${a.wxId} (${a.hostname})`, a.wxId)));
  if (online.some(a => a.wxId === chosen)) from.value = chosen;

  const mine = accounts.find(a => a.hostname === loginHost);
  if (!mine) return;
  $('login-state').textContent = `${STATUS[mine.Status] ?? mine.Status} (${mine.LoginStep})`;
  $('verify').hidden = mine.LoginStep !== 'RequireVerify';
  if (mine.Status === 3 && mine.LoginStep === 'WaitingForScan' && mine.QrCode) await showQr(mine.QrCode);
  else $('qr').hidden = true;
}

async function send() {
  const wxId = $('send-from').value;
  const to = $('send-to').value.trim();
  const conversationId = /^[SR]:/.test(to) ? to : `S:${wxId}_${to}`;
  $('send-result').textContent = '';
  try {
    const sent = await api('POST', 'msg/text', { wxId, conversationId, content: $('send-text').value });
    $('send-result').textContent = `queued as ${sent.msgId}`;
    chat = { wxId, conversationId };
    await refreshConversation();
  } catch (e) {
    $('send-result').textContent = e.message;
  }
}

async function refreshConversation() {
  if (!chat) return;
  const messages = await api('GET', `conversation/messages?wxId=${encodeURIComponent(chat.wxId)}&conversationId=${encodeURIComponent(chat.conversationId)}`);
  $('conversation').replaceChildren(...messages.map(m => {
    const item = document.createElement('li');
    item.className = m.isPc ? 'outbound' : 'inbound';
    item.textContent = `${m.isPc ? 'me' : m.senderName || m.sender}: ${m.content ?? ''}`;
    return item;
  }));
}

// The live stream, read with fetch (an EventSource cannot send the apikey header); resumes after the last id seen.
async function startStream() {
  streamAbort?.abort();
  const abort = streamAbort = new AbortController();
  while (!abort.signal.aborted) {
    try {
      const headers = { apikey };
      if (lastEventId > 0) headers['Last-Event-ID'] = String(lastEventId);
      const response = await fetch('/gnapi/open/events/stream', { headers, signal: abort.signal });
      if (response.ok) await readEvents(response.body.getReader());
    } catch (e) {
      if (abort.signal.aborted) return;
    }
    await new Promise(resolve => setTimeout(resolve, 2000));
  }
}

async function readEvents(reader) {
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = { data: [] };
      for (const line of block.split('\n')) {
        if (line.startsWith('id: ')) event.id = Number(line.slice(4));
        else if (line.startsWith('event: ')) event.type = line.slice(7);
        else if (line.startsWith('data: ')) event.data.push(line.slice(6));
      }
      if (event.id) onEvent(event.id, event.type, JSON.parse(event.data.join('\n')));
    }
  }
}

function onEvent(id, type, body) {
  lastEventId = id;
  const item = document.createElement('li');
  item.textContent = `#${id} ${type} ${body.wxid || body.source || ''}`;
  $('events').prepend(item);
  while ($('events').children.length > 200) $('events').lastChild.remove();
  if (type === 'account_state_changed') refreshAccounts().catch(() => {});
  else if (chat) refreshConversation().catch(() => {});
}

$('signin-button').onclick = () => signIn($('apikey').value.trim()).catch(e => { $('signin-error').textContent = e.message; });
$('signout').onclick = signOut;
$('create').onclick = createContainer;
$('verify-button').onclick = verify;
$('send').onclick = send;
// Life-cycle events drive the page; a slow poll covers a stream that is reconnecting (and the webhook's counts).
setInterval(() => {
  if (!apikey || $('app').hidden) return;
  refreshAccounts().catch(() => {});
  refreshConversation().catch(() => {});
  refreshWebhook().catch(() => {});
}, 3000);
// After every script of the page has loaded: the webhook and operator views live in their own files.
window.addEventListener('DOMContentLoaded', () => {
  if (apikey) signIn(apikey).catch(() => sessionStorage.removeItem(KEY));
});
