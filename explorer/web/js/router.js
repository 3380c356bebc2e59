// Hash-based routes: #/ (dashboard), #/block/HEIGHT_OR_HASH, #/tx/HASH, #/account/vl1…,
// #/validators, #/search/QUERY. `parseRoute` is pure; `onRouteChange` wires it to the window.

/** The route of a location hash: {name, ...params}. Unknown paths are {name: 'unknown'}. */
export function parseRoute(hash) {
  const path = String(hash || '').replace(/^#/, '').replace(/^\/+/, '');
  const [head, ...rest] = path.split('/');
  const arg = decodeURIComponent(rest.join('/'));
  switch (head) {
    case '':
      return { name: 'dashboard' };
    case 'validators':
      return rest.length === 0 || arg === '' ? { name: 'validators' } : { name: 'unknown', path };
    case 'block':
      if (/^\d+$/.test(arg)) return { name: 'block', id: Number(arg) };
      if (/^(0x)?[0-9a-fA-F]{64}$/.test(arg)) {
        return { name: 'block', id: arg.replace(/^0x/i, '').toLowerCase() };
      }
      return { name: 'unknown', path };
    case 'tx':
      if (/^(0x)?[0-9a-fA-F]{64}$/.test(arg)) {
        return { name: 'tx', hash: arg.replace(/^0x/i, '').toLowerCase() };
      }
      return { name: 'unknown', path };
    case 'account':
      return arg ? { name: 'account', address: arg } : { name: 'unknown', path };
    case 'search':
      return { name: 'search', query: arg };
    default:
      return { name: 'unknown', path };
  }
}

/** The hash of a route, for links: routeHash('block', 42) is "#/block/42". */
export function routeHash(name, arg) {
  return arg === undefined ? `#/${name}` : `#/${name}/${encodeURIComponent(String(arg))}`;
}

/** Calls `render(route)` now and on every change of the location hash. */
export function onRouteChange(render) {
  const fire = () => render(parseRoute(window.location.hash));
  window.addEventListener('hashchange', fire);
  fire();
}
