/*! Cubed tag. Usage:
  window.cubed = window.cubed || [];
  cubed.push(['setAccount', 'c-a-shop-gb']);
  cubed.push(['addEvent', {name: 'purchase', revenue: 59.99, currency: 'GBP', transaction_id: 'T1', items: []}]);
  cubed.push(['label', 'logged_in', true]);
  cubed.push(['fire']);
Nothing is sent before fire. UTM parameters and click ids travel in the page URL. */
(function (w, d) {
  var q = w.cubed = w.cubed || [];
  if (q.cubedLoaded) return;
  var endpoint = "/collect", account = "", events = [], labels = {};
  try {
    if (d.currentScript && d.currentScript.src) endpoint = new URL("/collect", d.currentScript.src).href;
  } catch (e) {}

  // 32 hex digits: 48-bit milliseconds then 80 random bits (as UUIDv7), so
  // ids arrive roughly in order and the collector's indexes stay compact.
  function rid() {
    var b = new Uint8Array(10), s = Date.now().toString(16), i;
    while (s.length < 12) s = "0" + s;
    w.crypto.getRandomValues(b);
    for (i = 0; i < 10; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
    return s;
  }
  function cookie(name) {
    var m = d.cookie.match(new RegExp("(?:^|; )" + name + "=([A-Za-z0-9_-]{32})(?:;|$)"));
    return m ? m[1] : "";
  }
  function setCookie(name, value, seconds) {
    d.cookie = name + "=" + value + "; path=/; max-age=" + seconds + "; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
  }
  function send(body) {
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(endpoint, new Blob([body], {type: "text/plain"}))) return;
    } catch (e) {}
    if (w.fetch) {
      fetch(endpoint, {method: "POST", body: body, keepalive: true, credentials: "omit", mode: "cors",
        headers: {"Content-Type": "text/plain"}}).catch(function () {});
    }
  }
  function fire() {
    if (!account) return;
    // cubed_vid lives two years; cubed_sid 30 minutes from the last hit.
    var vid = cookie("cubed_vid") || rid(), sid = cookie("cubed_sid") || rid();
    setCookie("cubed_vid", vid, 63072000);
    setCookie("cubed_sid", sid, 1800);
    var ts = new Date().toISOString(), hits = [], i;
    function hit(type, extra) {
      var h = {id: rid(), type: type, account: account, visitor: vid, session: sid, ts: ts,
        url: location.href, referrer: d.referrer, title: d.title}, k;
      for (k in extra) if (extra[k] !== undefined) h[k] = extra[k];
      hits.push(h);
    }
    hit("pageview", {labels: labels});
    for (i = 0; i < events.length; i++) {
      var e = events[i];
      hit("event", {event: {name: e.name, revenue: e.revenue, currency: e.currency,
        transaction_id: e.transaction_id, items: e.items}, sync: e.sync});
    }
    events = [];
    labels = {};
    for (i = 0; i < hits.length; i += 500) send(JSON.stringify({hits: hits.slice(i, i + 500)}));
  }
  var handlers = {
    setAccount: function (token) { account = String(token); },
    addEvent: function (e) { if (e && e.name) events.push(e); },
    label: function (key, value) { labels[key] = value; },
    fire: fire
  };
  function run(cmd) {
    var f = cmd && handlers[cmd[0]];
    if (f) {
      try { f.apply(null, Array.prototype.slice.call(cmd, 1)); } catch (e) {}
    }
  }
  var pending = q.slice(0);
  q.length = 0;
  q.cubedLoaded = true;
  q.push = function () {
    for (var i = 0; i < arguments.length; i++) run(arguments[i]);
    return 0;
  };
  for (var i = 0; i < pending.length; i++) run(pending[i]);
})(window, document);
