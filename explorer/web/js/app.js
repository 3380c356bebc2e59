// Where the page starts. It reads /config.json (the node's URLs, from vellum-explorer), waits
// for the node's first answer (showing the banner and retrying while there is none), then
// keeps one live block feed for every view, polls chain_status and the validator set, and
// renders the view of the current #/route.
//
// `ctx`, shared with the views: config, rpc, socket, feed, status (the last chain_status),
// validators, fullBlock(height) (a block with its transactions, cached), on(events, fn).

import { retryDelay } from './backoff.js';
import { Connection } from './connection.js';
import { h, startTicker } from './dom.js';
import { ChainFeed } from './feed.js';
import { onRouteChange, parseRoute, routeHash } from './router.js';
import { Rpc } from './rpc.js';
import { Socket } from './socket.js';
import * as account from './views/account.js';
import * as block from './views/block.js';
import * as dashboard from './views/dashboard.js';
import { errorPanel } from './views/parts.js';
import * as search from './views/search.js';
import * as tx from './views/tx.js';
import * as validators from './views/validators.js';

/** Blocks replayed when the page opens: enough for a minute of statistics. */
const HISTORY = 120;
const STATUS_EVERY_MS = 4000;
const VALIDATORS_EVERY_MS = 30_000;
const FULL_BLOCK_CACHE = 100;

const VIEWS = { dashboard, block, tx, account, validators, search };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function eventHub() {
  const target = new EventTarget();
  return {
    emit: (name) => target.dispatchEvent(new Event(name)),
    on(names, fn) {
      const list = names.split(' ');
      for (const n of list) target.addEventListener(n, fn);
      return () => list.forEach((n) => target.removeEventListener(n, fn));
    },
  };
}

async function loadConfig() {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`/config.json answered HTTP ${response.status}`);
  return response.json();
}

/** The first chain_status, retried with backoff while the node cannot be reached. */
async function firstStatus(rpc, connection) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await rpc.call('chain_status');
    } catch (e) {
      const delay = retryDelay(attempt);
      const note = document.getElementById('boot-note');
      if (note) note.textContent = `Waiting for the node at ${rpc.url}…`;
      connection.retrying(delay, attempt + 1, e.message.replace(/^chain_status: /, ''));
      await sleep(delay);
    }
  }
}

function unknownView(route) {
  return {
    el: h('div', {}, errorPanel('No such page', `The explorer has no page “#/${route.path}”.`, 'not-found'),
      h('p', {}, h('a', { href: '#/' }, 'Go to the dashboard'))),
    title: 'Not found',
  };
}

async function main() {
  const viewRoot = document.getElementById('view');
  let config;
  try {
    config = await loadConfig();
  } catch (e) {
    viewRoot.replaceChildren(errorPanel('The explorer did not answer', `${e.message}. Reload once vellum-explorer runs.`));
    return;
  }
  const hub = eventHub();
  const ctx = { config, on: hub.on, validators: [], status: null };
  // The live state, for the browser test and the curious (read it, do not change it).
  window.vellum = ctx;
  let current = null;
  const connection = new Connection({
    rpcUrl: config.rpc,
    banner: document.getElementById('offline-banner'),
    note: document.getElementById('online-note'),
    onChange(online) {
      if (!online && ctx.socket?.isOpen && connection.httpFailed) ctx.socket.reset();
      if (online) current?.onOnline?.();
    },
  });
  ctx.rpc = new Rpc(config.rpc, { onReachable: (ok, reason) => connection.http(ok, reason) });
  startTicker();

  ctx.status = await firstStatus(ctx.rpc, connection);
  document.getElementById('footer').textContent =
    `Node ${config.rpc} · chain ${ctx.status.chain_id} · explorer ${config.version}`;

  const feed = new ChainFeed();
  feed.startFrom(ctx.status.height - HISTORY + 1);
  ctx.feed = feed;

  const fullBlocks = new Map();
  ctx.fullBlock = (height) => {
    let entry = fullBlocks.get(height);
    if (!entry) {
      entry = { value: undefined };
      fullBlocks.set(height, entry);
      if (fullBlocks.size > FULL_BLOCK_CACHE) fullBlocks.delete(fullBlocks.keys().next().value);
      ctx.rpc.call('chain_getBlock', [height, true]).then(
        (b) => {
          entry.value = b;
          hub.emit('details');
        },
        () => fullBlocks.delete(height),
      );
    }
    return entry.value;
  };

  const pollStatus = async () => {
    try {
      const s = await ctx.rpc.call('chain_status');
      ctx.status = s;
      // Blocks above the height of this moment arrive as they are committed: "live".
      if (feed.liveAfter === Infinity && !s.syncing && ctx.socket.isOpen) feed.liveAfter = s.height;
      hub.emit('status');
    } catch {
      // connection.js shows the banner; the next poll tries again.
    }
  };
  const pollValidators = async () => {
    try {
      ctx.validators = await ctx.rpc.call('chain_getValidators');
      hub.emit('validators');
    } catch {
      // as above
    }
  };

  ctx.socket = new Socket(config.ws, {
    onState(state, info) {
      connection.ws(state, info);
      if (state === 'open') {
        feed.liveAfter = Infinity; // blocks replayed after a reconnection are not "live"
        pollStatus();
        pollValidators();
      }
    },
  });
  const blocks = ctx.socket.subscribe({
    method: 'chain_subscribeBlocks',
    unsubscribe: 'chain_unsubscribeBlocks',
    params: () => [feed.nextHeight()],
    onItem(b) {
      // A skipped height cannot happen with a correct node; if it does, subscribe again
      // from the missing height rather than show a hole.
      if (feed.accept(b) === 'gap') blocks.restart();
    },
  });
  await pollValidators();
  setInterval(pollStatus, STATUS_EVERY_MS);
  setInterval(pollValidators, VALIDATORS_EVERY_MS);

  const show = (route) => {
    current?.dispose?.();
    const module = VIEWS[route.name];
    current = module ? module.render(ctx, route) : unknownView(route);
    viewRoot.replaceChildren(current.el);
    document.title = `${current.title} · Vellum explorer`;
    document.body.dataset.route = route.name;
    for (const a of document.querySelectorAll('.nav a')) {
      a.classList.toggle('active', a.getAttribute('href') === `#/${route.name === 'dashboard' ? '' : route.name}`);
    }
    window.scrollTo(0, 0);
  };
  const form = document.getElementById('search-form');
  const input = document.getElementById('search-input');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const query = input.value.trim();
    if (!query) return;
    const target = routeHash('search', query);
    if (window.location.hash === target) show(parseRoute(target));
    else window.location.hash = target;
    input.blur();
  });
  onRouteChange(show);
  document.body.dataset.ready = 'true';
}

main();
