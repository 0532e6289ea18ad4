// The one place that says how tests start a browser. Browsers are never
// downloaded: every runner uses Debian's Chromium (apt-get install chromium).
export const chromiumPath = process.env.CUBED_CHROMIUM ?? '/usr/bin/chromium';

export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
