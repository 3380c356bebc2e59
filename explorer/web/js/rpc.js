// JSON-RPC 2.0 calls to the node over HTTP (POST /). A call that cannot reach the node (network
// error, timeout, a proxy's 5xx) throws `Unreachable` and tells the connection state; an error
// the node answers throws `RpcError` with its code (docs/RPC.md, "Errors").

export class RpcError extends Error {
  constructor(code, message, data) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
  }
}

export class Unreachable extends Error {
  constructor(message) {
    super(message);
    this.name = 'Unreachable';
  }
}

export class Rpc {
  /**
   * `url` is the node's HTTP URL; `onReachable(ok, reason)` hears about every call's outcome
   * so the page can show a banner.
   */
  constructor(url, { onReachable = () => {}, timeoutMs = 8000 } = {}) {
    this.url = url;
    this.onReachable = onReachable;
    this.timeoutMs = timeoutMs;
    this.nextId = 1;
  }

  async call(method, params = []) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    const body = JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params });
    let response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: controller.signal,
        cache: 'no-store',
      });
    } catch (e) {
      const reason = e.name === 'AbortError' ? `no answer within ${this.timeoutMs / 1000} s` : 'no connection';
      this.onReachable(false, reason);
      throw new Unreachable(`${method}: ${reason}`);
    } finally {
      clearTimeout(timer);
    }
    if (response.status >= 500) {
      this.onReachable(false, `HTTP ${response.status}`);
      throw new Unreachable(`${method}: HTTP ${response.status}`);
    }
    let json;
    try {
      json = await response.json();
    } catch {
      this.onReachable(false, 'the answer is not JSON');
      throw new Unreachable(`${method}: HTTP ${response.status}, not JSON`);
    }
    this.onReachable(true);
    if (json.error) {
      // The node puts the precise reason of an "Invalid params" in `data` as text.
      const { code, message, data } = json.error;
      throw new RpcError(code, typeof data === 'string' ? `${message}: ${data}` : message, data);
    }
    return json.result;
  }
}
