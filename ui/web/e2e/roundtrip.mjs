// The treasury's withdrawal round trip in a real browser: Playwright
// (playwright-core, no downloaded browser) driving Debian's chromium
// against a coordinator that online/web's TestBrowser started on a btcd
// regtest node, with the real airsign-kiosk signing from QR frames.
//
// Environment (set by TestBrowser):
//   BASE_URL      the web UI
//   CONTROL_URL   the test's helper: POST /mine mines a block; POST /y4m
//                 makes a camera video of frames; POST /broadcast sends a
//                 signed PSBT file to the node, not through the coordinator;
//                 POST /decoding takes (hold=1) or gives back (hold=0) a
//                 user's image-decoding turn
//   WORK          a scratch folder
//   KIOSK_BIN, KIOSK_HOME, SHARES (comma-separated share files)
//   PASSWORDS     JSON {user: password}; APPROVAL_PASSWORD: bob's approval key
//   CHROMIUM      the browser (default /usr/bin/chromium)
//   SHOTS         a folder for screenshots (web-*.png), or empty for none
//
// It prints one JSON line with what it saw and exits non-zero on the
// first failed expectation.
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const env = process.env;
const base = env.BASE_URL;
const work = env.WORK;
const passwords = JSON.parse(env.PASSWORDS);
const shots = env.SHOTS || "";
const result = { steps: [] };

// Every wait is for a condition, never for a fixed time. A condition that has
// not come within stepTimeout fails its step by name; the timeout is sized for
// a 2-core machine that runs other test packages beside this one (a passing
// run waits only as long as the page needs).
const stepTimeout = Number(env.STEP_TIMEOUT_MS || 120000);
const pages = new Map(); // name -> page, for the report of a failed step

async function step(name, fn) {
  try {
    return await fn();
  } catch (e) {
    throw new Error(`step "${name}" did not complete: ${e && e.message || e}`);
  }
}

// newPage opens a browser context whose waits take stepTimeout.
async function newPage(b, name, opts) {
  const ctx = await b.newContext(opts);
  ctx.setDefaultTimeout(stepTimeout);
  ctx.setDefaultNavigationTimeout(stepTimeout);
  const page = await ctx.newPage();
  pages.set(name, page);
  return page;
}

// slowNavigation holds the page's navigations to URLs matching re for 4 s,
// longer than the page's 3 s poll, as a loaded coordinator or network
// would. While a confirmation page is on its way, the poll must not reload
// the page: that reload would cancel the navigation (a race CI hit).
// A form's POST is sent at once and only its answer held; a scripted
// navigation (a GET) is held before it is sent.
async function slowNavigation(page, re) {
  await page.route(re, async (route) => {
    const req = route.request();
    if (!req.isNavigationRequest()) return route.continue();
    if (req.method() === "POST") {
      const resp = await route.fetch({ maxRedirects: 0 });
      await new Promise((r) => setTimeout(r, 4000));
      return route.fulfill({ response: resp });
    }
    await new Promise((r) => setTimeout(r, 4000));
    return route.continue();
  });
}

function expect(cond, what) {
  if (!cond) throw new Error("expectation failed: " + what);
  result.steps.push(what);
}

async function shot(page, name, opts = {}) {
  if (!shots) return;
  await page.screenshot({ path: path.join(shots, `web-${name}.png`), fullPage: opts.fullPage ?? true });
}

const browser = await chromium.launch({
  executablePath: env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

async function signIn(user, viewport = { width: 1366, height: 900 }, at = base) {
  const page = await newPage(browser, `${user} ${viewport.width}x${viewport.height} ${at}`, { viewport, acceptDownloads: true });
  page.on("pageerror", (e) => { result.pageErrors = (result.pageErrors || []).concat(`${user}: ${e.message}`); });
  page.on("console", (m) => { if (m.type() === "error") result.consoleErrors = (result.consoleErrors || []).concat(`${user}: ${m.text()}`); });
  await page.goto(at + "/wallets");
  expect(page.url().includes("/login"), `${user}: signed out, /wallets leads to sign-in`);
  await page.fill("#user", user);
  await page.fill("#password", passwords[user]);
  await step(`${user} signs in`, () => Promise.all([page.waitForURL("**/wallets"), page.click("button[type=submit]")]));
  expect((await page.textContent("#whoami")).trim() === user, `${user}: signed in`);
  return page;
}

// post sends a form the page's UI does not offer, as a hostile or curious
// user would, with the session's CSRF token: the server must refuse it.
async function post(page, url, fields) {
  return page.evaluate(async ({ url, fields }) => {
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    const body = new URLSearchParams({ csrf, ...fields });
    const r = await fetch(url, { method: "POST", body, redirect: "manual" });
    return { status: r.status, text: await r.text() };
  }, { url, fields });
}

try {
  // Sign-in page, and a wrong password.
  {
    const page = await newPage(browser, "login", { viewport: { width: 1366, height: 800 } });
    const ctx = page.context();
    await page.goto(base + "/login");
    await page.fill("#user", "alice");
    await page.fill("#password", "not alice's password");
    await page.click("button[type=submit]");
    expect((await page.textContent("#error")).includes("Wrong user name or password"), "wrong password refused");
    await page.fill("#password", "");
    await shot(page, "login", { fullPage: false });
    await ctx.close();
  }

  // alice, a treasury requester: wallets, a receive address, a withdrawal.
  const alice = await signIn("alice");
  expect((await alice.textContent(".wallet")).includes("treasury"), "wallets page lists treasury");
  await shot(alice, "wallets");
  await alice.click(".wallet h2 a");
  await alice.click("#new-address");
  const addr = (await alice.textContent("#receive-address")).trim();
  expect(addr.startsWith("bcrt1"), "a fresh receive address with its QR: " + addr);
  await alice.waitForFunction(() => document.getElementById("receive-qr").complete && document.getElementById("receive-qr").naturalWidth > 0);
  // The copy button: readable on its card (it once took the header's
  // white-on-dark style and went blank on white), "Copied" for a moment
  // with the address on the clipboard, then "Copy" again.
  await alice.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  const copyLook = await alice.$eval("#copy-address", (b) => {
    const s = getComputedStyle(b);
    return { color: s.color, text: b.textContent.trim() };
  });
  expect(copyLook.text === "Copy" && copyLook.color !== "rgb(255, 255, 255)", "the copy button reads Copy, not white on white: " + JSON.stringify(copyLook));
  // Every label the button shows is recorded, so a slow machine cannot
  // miss the moment it says Copied.
  await alice.$eval("#copy-address", (b) => {
    window.copyLabels = [];
    new MutationObserver(() => window.copyLabels.push(b.textContent.trim())).observe(b, { childList: true, characterData: true, subtree: true });
  });
  await alice.click("#copy-address");
  await step("the copy button says Copied, then Copy again", () => alice.waitForFunction(() => window.copyLabels.join(",") === "Copied,Copy"));
  expect((await alice.evaluate(() => navigator.clipboard.readText())) === addr, "the clipboard holds the receive address");
  expect((await alice.textContent("#copy-status")).trim() === "", "no fallback note once copied");
  await shot(alice, "wallet");

  // The address book: the destination saved as a payee.
  await alice.click("nav a[href='/addressbook']");
  await alice.fill("#payee-label", "Acme Ltd");
  await alice.fill("#payee-address", env.DESTINATION);
  await alice.fill("#payee-note", "supplier invoices, checked by phone");
  await step("alice saves a payee", () => Promise.all([alice.waitForURL(/done=payee/), alice.click("#payee-add")]));
  expect((await alice.textContent("#payee-list")).includes("Acme Ltd"), "the address book lists the payee");
  const removeColor = await alice.$eval("#payee-list button[type=submit]", (b) => getComputedStyle(b).color);
  expect(removeColor !== "rgb(255, 255, 255)", "the payee's Remove button is readable on its card: " + removeColor);
  await shot(alice, "addressbook");

  // The withdrawal: the payee picked, a memo, a fee preset looked at,
  // then a custom rate typed (which picks custom by itself).
  await alice.goto(base + "/withdraw");
  await alice.selectOption("#payee", "Acme Ltd");
  expect((await alice.inputValue("#to")) === "" && (await alice.getAttribute("#to", "placeholder")) === env.DESTINATION, "picking the payee shows its address");
  await alice.fill("#amount", "0.2");
  await alice.fill("#memo", "invoice 2026-117");
  await alice.check("#fee-priority");
  await alice.click("#preview");
  await step("the preview shows", () => alice.waitForSelector("#preview-result"));
  expect((await alice.textContent("#preview-payee")).trim() === "Acme Ltd", "the preview names the payee");
  expect((await alice.textContent("#preview-memo")).trim() === "invoice 2026-117", "the preview shows the memo");
  expect((await alice.textContent("#preview-fee")).includes("priority"), "the preview shows the priority preset");
  await alice.fill("#feerate", "3");
  expect(await alice.isChecked("#fee-custom"), "typing a rate picks custom");
  await alice.click("#preview");
  await step("the preview at the custom rate shows", () => alice.locator("#preview-fee", { hasText: "custom" }).waitFor());
  const fee = await alice.textContent("#preview-fee");
  expect(/sat at 3/.test(fee), "preview shows the fee: " + fee.trim());
  expect((await alice.textContent("#preview-change")).includes("BTC back to a new change address"), "preview shows the change");
  await shot(alice, "withdraw-preview");
  await step("the request is created", () => Promise.all([alice.waitForURL(/\/requests\/wd-[0-9a-f]+/), alice.click("#create")]));
  const reqURL = alice.url().split("?")[0];
  const id = reqURL.split("/").pop();
  result.request = id;
  expect((await alice.textContent("#state")).trim() === "pending", "request created, pending");
  expect((await alice.textContent("#payee-name")).trim() === "Acme Ltd", "the request page names the payee");
  expect((await alice.textContent("#memo")).trim() === "invoice 2026-117", "the request page shows the memo");
  expect((await alice.textContent("#fee-preset")).trim() === "custom" && (await alice.textContent("#fee")).includes("3 sat/vB"), "the request page shows the fee preset and rate");
  const labels = await alice.evaluate(async () => (await fetch("/labels.jsonl")).text());
  const lines = labels.trim().split("\n").map((l) => JSON.parse(l));
  expect(lines.some((l) => l.type === "tx" && l.label === "invoice 2026-117" && /^[0-9a-f]{64}$/.test(l.ref)) &&
    lines.some((l) => l.type === "addr" && l.label === "Acme Ltd" && l.ref === env.DESTINATION), "the BIP-329 export has the memo and the payee");

  // Four eyes: alice (an approver too) may not approve her own request.
  expect((await alice.textContent("#approve-why")).includes("four eyes"), "no approve form for the requester");
  const own = await post(alice, `/requests/${id}/approve`, { password: passwords.alicekey, expires: "24h" });
  expect(own.status === 403 && own.text.includes("cannot also approve"), "requester approving her own request is refused: " + own.status);

  // victor, a viewer, may look but not ask.
  const vic = await signIn("victor");
  const resp = await vic.goto(base + "/withdraw");
  expect(resp.status() === 403 && (await vic.textContent("#error")).includes("viewer role"), "viewer opening New withdrawal is refused");
  await shot(vic, "forbidden", { fullPage: false });
  const vicPost = await post(vic, "/withdraw", { wallet: "treasury", to: env.DESTINATION, amount: "0.1", unit: "btc", action: "create" });
  expect(vicPost.status === 403, "viewer creating a request is refused: " + vicPost.status);

  // bob approves with his approval-key password.
  const bob = await signIn("bob");
  await bob.goto(reqURL);
  await bob.fill("#approval-password", env.APPROVAL_PASSWORD);
  await slowNavigation(bob, /\/approve$/);
  await step("bob approves", () => Promise.all([bob.waitForURL(/done=approved/), bob.click("#approve")]));
  expect((await bob.textContent("#approvals")).includes("bob"), "bob's approval is listed");
  await shot(bob, "request-approved");

  // alice sees the approval arrive without reloading (short polling).
  // The page reloads itself when the approval arrives: a locator survives that.
  await step("the approval appears on alice's page", () => alice.locator("#approvals", { hasText: "bob" }).waitFor());
  expect(true, "the approval appeared on alice's open page");

  // The animated QR: frames cycle; save the one on screen and the GIF.
  await alice.selectOption("#qr-speed", "8");
  const first = await alice.getAttribute("#qr-frame", "src");
  await step("the QR frame changes", () => alice.waitForFunction((s) => document.getElementById("qr-frame").getAttribute("src") !== s, first));
  const shown = await alice.getAttribute("#qr-frame", "src");
  const frames = Number(await alice.textContent("#frame-count"));
  expect(frames > 1, `the QR animates over ${frames} frames`);
  const png = await alice.request.get(new URL(shown, base).href);
  fs.writeFileSync(path.join(work, "shown-frame.png"), await png.body());
  await alice.click("#qr-pause");
  await alice.locator("#carry").scrollIntoViewIfNeeded();
  await shot(alice, "request-qr");
  const gifURL = await alice.getAttribute("#qr-download", "href");
  const gif = await alice.request.get(new URL(gifURL, base).href);
  expect(gif.ok(), "the unsigned GIF downloads");
  const unsigned = path.join(work, "unsigned.gif");
  fs.writeFileSync(unsigned, await gif.body());

  // The same page on a wall screen in large mode, for the room.
  const wall = await signIn("victor", { width: 1920, height: 1080 });
  await wall.click("#large-toggle");
  await wall.goto(reqURL);
  await wall.click("#qr-pause");
  await wall.evaluate(() => window.scrollTo(0, 0));
  await shot(wall, "large-request", { fullPage: false });
  await wall.context().close();

  // Across the air gap: the real kiosk signs from the QR frames.
  const signedDir = path.join(work, "signed");
  const shares = env.SHARES.split(",").flatMap((s) => ["--share", s]);
  const out = execFileSync(env.KIOSK_BIN, ["--home", env.KIOSK_HOME, "--allow-network", "sign", "--in", unsigned, ...shares, "--qr-out", signedDir], { encoding: "utf8" });
  result.kiosk = out.split("\n").filter((l) => /sign|frame/i.test(l)).slice(0, 4);
  const signedFrames = fs.readdirSync(signedDir).filter((f) => f.startsWith("frame-")).sort().map((f) => path.join(signedDir, f));
  expect(signedFrames.length > 0, `the kiosk showed ${signedFrames.length} signed frames`);

  // A frame of another PSBT first (the unsigned code still on screen):
  // it starts a transfer, so the right frame after it is refused in plain
  // words and Start over is offered, also after a reload; Start over
  // discards the wrong transfer.
  await alice.setInputFiles("#frames", path.join(work, "shown-frame.png"));
  await alice.click("#upload");
  await step("the wrong frame starts a transfer", () => alice.locator("#restart-form:not([hidden])").waitFor());
  await alice.setInputFiles("#frames", signedFrames[0]);
  await alice.click("#upload");
  await step("the right frame is said to belong to another transfer", () => alice.locator("#scan-status.error", { hasText: "belongs to another transfer" }).waitFor());
  expect((await alice.textContent("#scan-status")).includes("Start over"), "the message says to finish the first transfer or press Start over");
  await alice.locator("#return").scrollIntoViewIfNeeded();
  await shot(alice, "upload-other-transfer", { fullPage: false });
  await alice.reload();
  await step("the reloaded page offers Start over with the parts that arrived", () => alice.locator("#scan-status", { hasText: "1 part(s) arrived" }).waitFor());
  await step("Start over discards the transfer", () => Promise.all([alice.waitForURL(/done=restarted/), alice.click("#restart")]));
  expect(await alice.locator("#restart-form").isHidden(), "Start over is not offered once the transfer is discarded");

  // Back: upload the signed frames; the progress bar fills as each is
  // decoded on the server, then it finalizes and broadcasts.
  // First two frames: not enough for the whole PSBT, so the bar stops
  // part way and says what is missing; the server keeps what arrived.
  await alice.setInputFiles("#frames", signedFrames.slice(0, 2));
  await alice.click("#upload");
  await step("two uploaded frames show progress", () => alice.waitForFunction(() => Number(document.getElementById("scan-progress").getAttribute("aria-valuenow")) > 0));
  const partial = Number(await alice.getAttribute("#scan-progress", "aria-valuenow"));
  expect(partial > 0 && partial < 100, `after 2 of ${signedFrames.length} frames the progress bar shows ${partial}%`);
  result.progress = partial;
  await alice.locator("#return").scrollIntoViewIfNeeded();
  await shot(alice, "upload-progress", { fullPage: false });
  // The rest completes it: finalize, verify, broadcast.
  await alice.setInputFiles("#frames", signedFrames.slice(2));
  await step("the uploaded frames are broadcast", () => Promise.all([alice.waitForURL(/done=broadcast/), alice.click("#upload")]));
  expect((await alice.textContent("#state")).trim() === "broadcast", "the transaction is broadcast");
  result.txid = (await alice.textContent("#txid")).trim();
  await shot(alice, "request-broadcast");

  // A block: the page turns confirmed by itself.
  const mined = await fetch(env.CONTROL_URL + "/mine", { method: "POST" });
  expect(mined.ok, "a block was mined");
  await step("the request turns confirmed", () => alice.locator("#state", { hasText: /^\s*confirmed\s*$/ }).waitFor());
  expect(true, "the request shows confirmed after mining");
  await shot(alice, "request-confirmed");

  // A second request comes back through the camera: chromium's fake
  // camera plays the kiosk's signed frames as a video, the page sends
  // what it sees to the coordinator a few times a second.
  await alice.goto(base + "/withdraw");
  await alice.fill("#to", env.DESTINATION);
  await alice.selectOption("#unit", "sat");
  await alice.fill("#amount", "5000000");
  await alice.click("#preview");
  await step("the second request is created", () => Promise.all([alice.waitForURL(/\/requests\/wd-[0-9a-f]+/), alice.click("#create")]));
  const req2 = alice.url().split("?")[0];
  // The density control re-cuts the QR: low density, more frames.
  const before = Number(await alice.textContent("#frame-count"));
  await alice.selectOption("#qr-density", "low");
  await step("low density re-cuts the QR", () => alice.waitForFunction((n) => Number(document.getElementById("frame-count").textContent) > n, before));
  expect(true, `density low shows more frames than medium (${before} before)`);
  const gif2 = await alice.request.get(new URL(await alice.getAttribute("#qr-download", "href"), base).href);
  fs.writeFileSync(path.join(work, "unsigned2.gif"), await gif2.body());
  const signed2 = path.join(work, "signed2");
  execFileSync(env.KIOSK_BIN, ["--home", env.KIOSK_HOME, "--allow-network", "sign", "--in", path.join(work, "unsigned2.gif"), ...shares, "--qr-out", signed2]);
  const video = path.join(work, "camera.y4m");
  const conv = await fetch(env.CONTROL_URL + "/y4m", { method: "POST", body: new URLSearchParams({ dir: signed2, out: video }) });
  expect(conv.ok, "the signed frames became a camera video");
  const camBrowser = await chromium.launch({
    executablePath: env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--use-file-for-fake-video-capture=" + video],
  });
  try {
    const cam = await newPage(camBrowser, "camera", { viewport: { width: 1366, height: 900 } });
    await cam.context().grantPermissions(["camera"], { origin: base });
    await cam.goto(base + "/login");
    await cam.fill("#user", "alice");
    await cam.fill("#password", passwords.alice);
    await step("alice signs in on the camera browser", () => Promise.all([cam.waitForURL("**/wallets"), cam.click("button[type=submit]")]));
    await cam.goto(req2);
    await slowNavigation(cam, /done=broadcast/);
    await cam.click("#camera-start");
    await step("the camera's first frames show progress", () => cam.waitForFunction(() => Number(document.getElementById("scan-progress").getAttribute("aria-valuenow")) > 0));
    await cam.locator("#return").scrollIntoViewIfNeeded();
    await shot(cam, "camera-scan", { fullPage: false });
    // The page goes to done=broadcast by itself when the transfer is
    // complete (waitForURL also matches a URL already reached).
    await step("the camera scan completes and is broadcast", () => cam.waitForURL(/done=broadcast/));
    expect((await cam.textContent("#state")).trim() === "broadcast", "the camera-scanned request is broadcast");
  } finally {
    await camBrowser.close();
  }

  // A third request whose QR was shown is cancelled for good: "Cancel and
  // revoke" makes a revocation that spends its coins back to the wallet,
  // and the request shows cancelling until that confirms.
  await alice.goto(base + "/withdraw");
  await alice.fill("#to", env.DESTINATION);
  await alice.selectOption("#unit", "sat");
  await alice.fill("#amount", "1000000");
  await alice.click("#preview");
  await step("the third request is created", () => Promise.all([alice.waitForURL(/\/requests\/wd-[0-9a-f]+/), alice.click("#create")]));
  const req3 = alice.url().split("?")[0];
  await step("cancel and revoke makes a revocation", () => Promise.all([alice.waitForURL(/done=revocation/), alice.click("#revoke")]));
  expect((await alice.textContent("body")).includes("Revocation created"), "the revocation's page says what to do");
  expect(alice.url().split("?")[0] !== req3, "the revocation is a request of its own");
  const revocation = alice.url().split("?")[0].split("/").pop();
  await alice.goto(req3);
  expect((await alice.textContent("#state")).trim() === "cancelling", "the revoked request shows cancelling");

  await alice.goto(base + "/requests");
  await shot(alice, "requests");
  await alice.goto(base + "/audit");
  expect((await alice.textContent("#audit")).includes("broadcast"), "the audit log shows the broadcast");
  await shot(alice, "audit", { fullPage: false });

  // A phone-sized window.
  const phone = await signIn("victor", { width: 390, height: 844 });
  await phone.goto(base + "/wallets/treasury");
  await shot(phone, "phone-wallet", { fullPage: false });

  // A fourth request is signed at the kiosk, and the signed PSBT is kept;
  // then it is cancelled with a plain cancel (not revoked), and the signed
  // copy is broadcast from elsewhere and confirms: the page says the
  // request was cancelled but paid. First a block confirms the
  // camera-scanned request, so that its change is a free confirmed coin
  // (the revocation holds the other).
  const control = (what, fields) => fetch(env.CONTROL_URL + what, { method: "POST", body: new URLSearchParams(fields || {}) });
  expect((await control("/mine")).ok, "a block was mined for the camera-scanned request");
  // Asked of the request's status, not its page, whose poll would take up to 3 s more.
  await step("the camera-scanned request turns confirmed", () => alice.waitForFunction(async (u) => {
    const r = await fetch(u, { credentials: "same-origin", cache: "no-store" });
    return r.ok && (await r.json()).state === "confirmed";
  }, req2 + "/status.json", { polling: 200 }));
  expect(true, "the camera-scanned request is confirmed");
  await alice.goto(base + "/withdraw");
  await alice.fill("#to", env.DESTINATION);
  await alice.selectOption("#unit", "sat");
  await alice.fill("#amount", "2000000");
  await alice.click("#preview");
  await step("the fourth request is created", () => Promise.all([alice.waitForURL(/\/requests\/wd-[0-9a-f]+/), alice.click("#create")]));
  const req4 = alice.url().split("?")[0];
  result.paid = req4.split("/").pop();
  const gif4 = await alice.request.get(new URL(await alice.getAttribute("#qr-download", "href"), base).href);
  expect(gif4.ok(), "the fourth request's unsigned GIF downloads");
  fs.writeFileSync(path.join(work, "unsigned4.gif"), await gif4.body());
  const signed4 = path.join(work, "signed4"), signed4PSBT = path.join(work, "signed4.psbt");
  execFileSync(env.KIOSK_BIN, ["--home", env.KIOSK_HOME, "--allow-network", "sign", "--in", path.join(work, "unsigned4.gif"), ...shares,
    "--out", signed4PSBT, "--qr-out", signed4]);
  const signed4Frames = fs.readdirSync(signed4).filter((f) => f.startsWith("frame-")).sort().map((f) => path.join(signed4, f));
  expect(signed4Frames.length > 1 && fs.statSync(signed4PSBT).size > 0, `the kiosk signed the fourth request: a PSBT file and ${signed4Frames.length} frames`);

  // The decoding limit: one image at a time per user. While alice's turn
  // is taken (as by a slow image of hers still being read; the test holds
  // it), her upload is refused with 429 and the page says to wait; once
  // the turn is back, the same frame is read.
  const scanned = (page) => page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname.endsWith("/scan"));
  expect((await control("/decoding", { user: "alice", hold: "1" })).ok, "alice's decoding turn is taken");
  try {
    await alice.setInputFiles("#frames", signed4Frames[0]);
    const [busy] = await step("an upload while alice's image is read is answered", () => Promise.all([scanned(alice), alice.click("#upload")]));
    expect(busy.status() === 429, "an upload while alice's previous image is read is refused: " + busy.status());
    await step("the page says to wait for the previous image", () => alice.locator("#scan-status.error", { hasText: "still being read" }).waitFor());
    expect(Number(await alice.getAttribute("#scan-progress", "aria-valuenow")) === 0, "the page says the previous image is still being read; nothing was taken");
  } finally {
    await control("/decoding", { user: "alice", hold: "0" });
  }
  const [read] = await step("the upload after the turn is back is answered", () => Promise.all([scanned(alice), alice.click("#upload")]));
  await step("the frame is read once the turn is back", () => alice.waitForFunction(() => Number(document.getElementById("scan-progress").getAttribute("aria-valuenow")) > 0));
  const part = Number(await alice.getAttribute("#scan-progress", "aria-valuenow"));
  expect(read.status() === 200 && part < 100, `the same frame is read once alice's turn is back (${part}%)`);

  // Cancelled (not revoked) with the signed copy kept elsewhere.
  await alice.fill("#cancel-form input[name=reason]", "the destination changed");
  await step("alice cancels the signed request", () => Promise.all([alice.waitForURL(/done=cancelled/), alice.click("#cancel")]));
  expect((await alice.textContent("#state")).trim() === "cancelled", "the fourth request is cancelled");
  const sent = await control("/broadcast", { psbt: signed4PSBT });
  const sentText = (await sent.text()).trim();
  expect(sent.ok, "the kept signed copy is broadcast from elsewhere: " + sentText);
  result.paidTxid = sentText;
  expect((await control("/mine")).ok, "a block confirms the signed copy");
  // The watcher marks the request; the page reloads itself when it does.
  await step("the cancelled request shows it was paid", () => alice.locator("#paid-alert").waitFor());
  expect((await alice.textContent("#paid-alert")).includes("Tell the custodians and the auditor"), "the page alerts: cancelled, but paid");
  expect((await alice.textContent("#state")).trim() === "cancelled-but-paid", "the request's state is cancelled-but-paid");

  // A security key: bob registers one in the browser (Chromium's virtual
  // authenticator, through the DevTools protocol's WebAuthn domain) and
  // approves the pending revocation with it. WebAuthn needs a host name,
  // not an address: this part of the script uses localhost. The Go test
  // then has the real kiosk enroll the key and count the approval.
  {
    const at = base.replace("127.0.0.1", "localhost");
    const bobKey = await signIn("bob", { width: 1366, height: 900 }, at);
    const cdp = await bobKey.context().newCDPSession(bobKey);
    await cdp.send("WebAuthn.enable");
    await cdp.send("WebAuthn.addVirtualAuthenticator", { options: {
      protocol: "ctap2", transport: "usb", hasResidentKey: false, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true } });
    await bobKey.goto(at + "/keys");
    await bobKey.fill("#key-label", "virtual key");
    await step("bob registers a security key", () => Promise.all([bobKey.waitForURL(/done=registered/), bobKey.click("#register-key")]));
    const keyText = await bobKey.inputValue("input.keytext[data-kind=webauthn]");
    expect(/^webauthn:localhost:[A-Za-z0-9_-]+$/.test(keyText), "the keys page shows the key text for the kiosk: " + keyText);
    result.webauthnKey = keyText;
    await shot(bobKey, "keys");
    await bobKey.goto(at + "/requests/" + revocation);
    await step("the revocation offers approval with the security key", () => bobKey.waitForSelector("#approve-key"));
    await shot(bobKey, "request-security-key");
    await step("bob approves with the security key", () => Promise.all([bobKey.waitForURL(/done=approved/), bobKey.click("#approve-key")]));
    expect((await bobKey.textContent("#approvals")).includes("security key"), "the approval is listed as a security key's");
    result.keyApproved = revocation;
    await bobKey.context().close();
  }

  // Sign-in lockout, last (victor cannot sign in from this address after
  // it): five wrong passwords in a row lock victor out from this address,
  // even with the right one, and the page says what to do; bob still signs
  // in from a fresh context.
  {
    const page = await newPage(browser, "lockout", { viewport: { width: 1366, height: 800 } });
    await page.goto(base + "/login");
    const attempt = async (pw, n) => {
      await page.fill("#user", "victor");
      await page.fill("#password", pw);
      // The answer is a page of its own: wait for it, not for the old one's #error.
      await page.evaluate(() => { document.body.dataset.sent = "1"; });
      const [resp] = await step(`victor's sign-in ${n} is answered`, () => Promise.all([
        page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/login"),
        page.click("button[type=submit]")]));
      await step(`victor's sign-in ${n} shows its page`, () => page.waitForSelector("body:not([data-sent]) #error"));
      return { status: resp.status(), error: (await page.textContent("#error")).trim() };
    };
    for (let n = 1; n <= 4; n++) {
      const r = await attempt("not victor's password", n);
      if (r.status !== 401 || !r.error.includes("Wrong user name or password")) expect(false, `wrong password ${n}: ${r.status} ${r.error}`);
    }
    const fifth = await attempt("not victor's password", 5);
    expect(fifth.status === 401 && fifth.error.includes("5 times in a row") && fifth.error.includes("locked until") && fifth.error.includes("Ask an admin"),
      "the 5th wrong password locks victor's sign-in: " + fifth.error);
    const locked = await attempt(passwords.victor, 6);
    expect(locked.status === 429 && locked.error.includes("Sign-in for victor from this address is locked until") &&
      locked.error.includes("Wait, or ask an admin to set a new password (airsign-coordinator user password victor)"),
      "the right password while locked is refused (429) and the page says what to do: " + locked.error);
    expect(page.url().includes("/login"), "victor stays on the sign-in page");
    await page.context().close();
    const other = await signIn("bob");
    expect(true, "bob signs in from a fresh context while victor is locked out");
    await other.context().close();
  }

  // An admin's users page: victor shows locked out; root resets his
  // password, and victor, signed in with the temporary one, can only set
  // his own. Then root makes bob a viewer.
  {
    const root = await signIn("root");
    await root.click("nav a[href='/users']");
    expect(await root.getAttribute("#user-victor", "data-state") === "locked", "the users page shows victor locked out");
    await shot(root, "users");
    await Promise.all([root.waitForURL("**/users/victor/reset"), root.click("#user-victor button.reset")]);
    const temp = (await root.textContent("#issued-password")).trim();
    expect(/^[a-z2-7]{4}(-[a-z2-7]{4}){7}$/.test(temp), "root is shown victor's temporary password once");
    await shot(root, "users-reset", { fullPage: false });
    const vic2 = await newPage(browser, "victor, temporary password", { viewport: { width: 1366, height: 900 } });
    await vic2.goto(base + "/login");
    await vic2.fill("#user", "victor");
    await vic2.fill("#password", temp);
    await step("victor signs in with the temporary password and lands on the password page",
      () => Promise.all([vic2.waitForURL("**/account/password"), vic2.click("button[type=submit]")]));
    await vic2.goto(base + "/requests");
    expect(vic2.url().endsWith("/account/password"), "any other page sends victor back to set his password");
    await shot(vic2, "password", { fullPage: false });
    await vic2.fill("#current-password", temp);
    await vic2.fill("#new-password", "victor's own new passphrase");
    await vic2.fill("#new-password-again", "victor's own new passphrase");
    await step("victor sets his own password", () => Promise.all([vic2.waitForURL("**/wallets"), vic2.click("#set-password")]));
    expect((await vic2.textContent("#whoami")).trim() === "victor", "victor is signed in with his own password");
    await vic2.context().close();
    await root.goto(base + "/users");
    expect((await root.textContent("#user-victor")).includes("their own"), "the users page shows victor's password as his own");
    await root.selectOption("#user-bob select[name=role]", "viewer");
    await step("root makes bob a viewer", () => Promise.all([root.waitForURL("**/users?done=role"), root.click("#user-bob .role-form button")]));
    expect(await root.getAttribute("#user-bob", "data-role") === "viewer", "bob is a viewer");
    await root.context().close();
  }

  expect(!result.pageErrors, "no script errors: " + JSON.stringify(result.pageErrors || []));
  result.ok = true;
} catch (e) {
  result.ok = false;
  result.error = String(e && e.stack || e);
  // What each page showed when the step failed.
  result.pages = {};
  for (const [name, page] of pages) {
    if (page.isClosed()) continue;
    try {
      result.pages[name] = {
        url: page.url(),
        status: await page.evaluate(() => (document.getElementById("scan-status") || document.getElementById("error") || {}).textContent || ""),
      };
    } catch (err) {
      result.pages[name] = { url: page.url(), status: "unreadable: " + err.message };
    }
  }
} finally {
  await browser.close();
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
}
