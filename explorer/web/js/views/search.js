// The search page (#/search/QUERY): classifies the entry (search.js), asks the node, and
// replaces itself with the block, transaction or account page, or says plainly that nothing
// was found and why.

import { h } from '../dom.js';
import { formatCount } from '../format.js';
import { routeHash } from '../router.js';
import { Unreachable } from '../rpc.js';
import { classify } from '../search.js';
import { errorPanel, loading, unreachablePanel } from './parts.js';

function notFound(query, message) {
  return h('div', {},
    h('h1', {}, 'Search'),
    errorPanel('Not found', message, 'not-found'),
    h('p', { class: 'muted' }, `You searched for “${query}”. Search takes a block height, a block or transaction hash (64 hex digits), or an address (vl1…).`),
  );
}

async function resolve(ctx, q) {
  switch (q.kind) {
    case 'height': {
      const block = await ctx.rpc.call('chain_getBlock', [q.height, false]);
      if (block) return { go: routeHash('block', q.height) };
      const tip = ctx.feed.tip()?.block.height ?? ctx.status.height;
      return { message: `No block at height ${formatCount(q.height)}: the chain is at height ${formatCount(tip)}.` };
    }
    case 'hash': {
      const [block, tx] = await Promise.all([
        ctx.rpc.call('chain_getBlock', [q.hash, false]),
        ctx.rpc.call('tx_get', [q.hash]),
      ]);
      if (block) return { go: routeHash('block', q.hash) };
      if (tx && tx.status !== 'unknown') return { go: routeHash('tx', q.hash) };
      return { message: `No block and no transaction has the hash ${q.hash} on this node.` };
    }
    case 'address':
      return { go: routeHash('account', q.address) };
    case 'empty':
      return { message: 'Type something to search for.' };
    default:
      return { message: `“${q.input}” is ${q.reason.startsWith('enter') ? 'not something the chain names: ' : ''}${q.reason}.` };
  }
}

export function render(ctx, route) {
  const el = h('div', {}, loading('the search'));
  let disposed = false;
  const run = async () => {
    const q = { ...classify(route.query), input: route.query };
    try {
      const answer = await resolve(ctx, q);
      if (disposed) return;
      if (answer.go) window.location.replace(answer.go);
      else el.replaceChildren(notFound(route.query, answer.message));
    } catch (e) {
      if (disposed) return;
      el.replaceChildren(e instanceof Unreachable ? unreachablePanel('the search') : notFound(route.query, e.message));
    }
  };
  run();
  return {
    el,
    title: 'Search',
    onOnline: run,
    dispose() {
      disposed = true;
    },
  };
}
