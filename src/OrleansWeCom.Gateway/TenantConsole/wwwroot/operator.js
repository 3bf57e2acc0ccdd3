'use strict';
// The operator's view, signed in with the admin key (kept in this tab's sessionStorage): tenants, container hosts with
// their circuits, failed callbacks with re-drive (routes under /admin).
const ADMIN_KEY = 'wecom.adminkey';
let adminKey = sessionStorage.getItem(ADMIN_KEY);
const admin = (method, path, body) => call('/admin/' + path, adminKey, method, body);

async function operatorSignIn(key) {
  adminKey = key;
  await admin('GET', 'hosts');
  sessionStorage.setItem(ADMIN_KEY, key);
  $('signin').hidden = true;
  $('operator').hidden = false;
  $('signout').hidden = false;
  $('who').textContent = 'operator';
  await refreshOperator();
}

async function refreshOperator() {
  const [tenants, hosts, failed] = await Promise.all([admin('GET', 'tenants?limit=200'), admin('GET', 'hosts'), admin('GET', 'callbacks/failed?limit=200')]);
  $('tenants').tBodies[0].replaceChildren(...tenants.items.map(t => {
    const row = document.createElement('tr');
    row.dataset.tenant = t.id;
    cells(row, [['id', t.id], ['name', t.name], ['users', t.users], ['containers', t.containers], ['accounts', t.accounts]]);
    return row;
  }));
  $('hosts').tBodies[0].replaceChildren(...hosts.items.map(h => {
    const row = document.createElement('tr');
    row.dataset.host = h.name;
    cells(row, [['name', h.name], ['address', h.baseUrl], ['capacity', h.capacity], ['circuit', h.circuit]]);
    row.cells[3].classList.add('circuit-' + h.circuit);
    return row;
  }));
  $('redrive-all').disabled = failed.items.length === 0;
  $('failed').tBodies[0].replaceChildren(...failed.items.map(f => {
    const row = document.createElement('tr');
    row.dataset.id = f.id;
    cells(row, [['id', f.id], ['host', f.host], ['type', f.type], ['msgid', f.msgId], ['received', new Date(f.receivedAt).toISOString()]]);
    const redrive = document.createElement('button');
    redrive.className = 'redrive';
    redrive.textContent = 'Re-drive';
    redrive.onclick = () => redriveCallbacks([f.id]);
    row.insertCell().append(redrive);
    return row;
  }));
}

async function redriveCallbacks(ids) {
  $('operator-error').textContent = '';
  try {
    await admin('POST', 'callbacks/redrive', ids ? { ids } : undefined);
    await refreshOperator();
  } catch (e) {
    $('operator-error').textContent = e.message;
  }
}

function operatorSignOut() {
  sessionStorage.removeItem(ADMIN_KEY);
}

$('operator-signin-button').onclick = () => operatorSignIn($('apikey').value.trim()).catch(e => {
  adminKey = null;
  $('signin-error').textContent = e.message;
});
$('redrive-all').onclick = () => redriveCallbacks(null);
$('signout').addEventListener('click', operatorSignOut);
setInterval(() => { if (adminKey && !$('operator').hidden) refreshOperator().catch(e => { $('operator-error').textContent = e.message; }); }, 3000);
window.addEventListener('DOMContentLoaded', () => {
  if (adminKey && !apikey) operatorSignIn(adminKey).catch(() => sessionStorage.removeItem(ADMIN_KEY));
});
