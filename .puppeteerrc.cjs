// Ace's puppeteer uses Debian's chromium (PUPPETEER_EXECUTABLE_PATH, set by the tests):
// never download a browser, at `npm ci` or later.
module.exports = { skipDownload: true };
